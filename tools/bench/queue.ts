/**
 * `npm run bench:queue`: webhook events from commit to verified receipt, in one run:
 * - SQS: events committed with their outbox rows → SQS (fauxqs, loopback) → the SQS consumer
 *   handler → signed POST /queue/deliver on lowtide's Node server → signed webhook → receiver;
 * - Cloudflare Queues: the same, published with the Worker's `OUTBOX_QUEUE` binding (Miniflare's
 *   local Queues, wrangler.toml's settings read by wrangler) → the Worker's own queue() in workerd →
 *   POST /queue/deliver through app.fetch (a connection per message, as on Workers without Hyperdrive);
 * - direct (baseline): the same events committed, then POSTed to the receiver at once by the
 *   committing process (what an app without a queue does), same concurrency.
 * The receiver verifies every signature (standardwebhooks) and timestamps receipt. Prints events/s,
 * p50/p99 commit→receipt latency for each, and each queue's events/s ÷ direct events/s.
 * Options: --events 2000 --concurrency 10
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { createConsumer } from '../../functions/sqs-consumer.js'
import { startNodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { emitEvents } from '../../src/domain/webhooks/events.js'
import { createLogger, silentLogger } from '../../src/logger.js'
import { Outbox } from '../../src/queue/outbox.js'
import { createSqsPublisher } from '../../functions/sqs-publisher.js'
import { startLocalQueue } from '../lib/local-queue.js'
import { migrateDatabase } from '../lib/migrations.js'
import { startSqsPoller } from '../lib/sqs-poller.js'
import { setUpBenchDatabase } from './database.js'
import { Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { cloudflareOutboxQueue } from '../../cron/queues.js'
import { createQueueBindingPublisher, type QueueProducer } from '../../src/queue/cloudflare-queue.js'
import type { QueuePublisher } from '../../src/queue/publisher.js'
import { buildWorker, ROOT, WORKER_BUNDLE } from '../build-worker.js'

const { values: opts } = parseArgs({ options: { events: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '10' } } })
const N = Number(opts.events)
const concurrency = Number(opts.concurrency)
const SECRET = 'bench-signing-secret-0123456789abcdef'

const database = await setUpBenchDatabase()
const queue = await startLocalQueue()
const db = new pg.Client({ connectionString: database.url, application_name: 'bench-queue' })
const receipts = new Map<string, number>() // webhook-id → received at (ms)
let invalid = 0
let whSecret = ''
const receiver = http.createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    try {
      new Webhook(whSecret).verify(body, req.headers as Record<string, string>)
      receipts.set(String(req.headers['webhook-id']), performance.timeOrigin + performance.now())
      res.writeHead(204).end()
    } catch {
      invalid++
      res.writeHead(400).end()
    }
  })
})
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`

try {
  await migrateDatabase(database.url)
  await db.connect()
  const { rows } = await db.query<{ id: string }>(`INSERT INTO users (email) VALUES ('bench-queue@example.com') RETURNING id`)
  const userId = rows[0]!.id
  whSecret = `whsec_${Buffer.from('bench-webhook-secret-0123456789').toString('base64')}`
  await db.query(`INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES ($1, $2, '{email.sent}', $3)`, [userId, receiverUrl, whSecret])

  const config = loadConfig(
    { DATABASE_URL: database.url, PORT: '0', TASK_SIGNING_SECRET: SECRET, SQS_QUEUE_URL: queue.queueUrl, SQS_ENDPOINT: queue.endpoint, WEBHOOK_ALLOW_HOSTS: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_API: 'off' },
    'node',
  )
  const logger = createLogger('warn')
  const server = await startNodeServer(config, { logger })
  const publisher = createSqsPublisher(config.queue, logger)

  /** Commits `n` events in batches of 100 (one transaction each) and returns commit times by delivery id. */
  const commit = async (n: number, outbox?: Outbox, via: QueuePublisher = publisher): Promise<Map<string, number>> => {
    const committed = new Map<string, number>()
    for (let i = 0; i < n; i += 100) {
      await db.query('BEGIN')
      const ids = await emitEvents(db, outbox, Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ userId, type: 'email.sent' as const, data: { n: i + k } })))
      await db.query('COMMIT')
      const at = performance.timeOrigin + performance.now()
      for (const id of ids) committed.set(`msg_${id.replace(/-/g, '')}`, at)
      if (outbox) await outbox.flush(via) // what the request does after commit
    }
    return committed
  }

  const summarise = (name: string, committed: Map<string, number>, started: number) => {
    const lat = [...committed].map(([id, at]) => (receipts.get(id) ?? NaN) - at).sort((a, b) => a - b)
    const last = Math.max(...[...committed.keys()].map((id) => receipts.get(id) ?? NaN))
    const rate = committed.size / ((last - started) / 1000)
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1)
    console.log(`  ${name.padEnd(38)} ${rate.toFixed(0).padStart(6)} events/s   p50 ${pct(0.5).padStart(7)} ms   p99 ${pct(0.99).padStart(7)} ms`)
    return rate
  }
  const waitAll = async (committed: Map<string, number>) => {
    for (let i = 0; i < 12_000 && [...committed.keys()].some((id) => !receipts.has(id)); i++) await new Promise((r) => setTimeout(r, 10))
  }

  console.log(`bench:queue  ${N} webhook events per side, consumer concurrency ${concurrency}, fauxqs + embedded Postgres on loopback`)
  // Queue path.
  const poller = startSqsPoller(queue.sqs, queue.queueUrl, createConsumer({ appBaseUrl: server.url, signingSecret: SECRET, queueUrl: queue.queueUrl, sqs: queue.sqs, concurrency, logger: silentLogger }), 1)
  const startedQ = performance.timeOrigin + performance.now()
  const viaQueue = await commit(N, new Outbox())
  await waitAll(viaQueue)
  await poller.stop()
  const queueRate = summarise('outbox → SQS → consumer → webhook', viaQueue, startedQ)

  // Cloudflare Queues path: the Worker bundle in workerd, its queues as wrangler.toml declares them.
  buildWorker()
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}wrangler.toml`)
  const mf = new Miniflare({
    modules: true,
    scriptPath: WORKER_BUNDLE,
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    queueProducers: workerOptions.queueProducers,
    queueConsumers: workerOptions.queueConsumers,
    bindings: { DATABASE_URL: database.url, TASK_SIGNING_SECRET: SECRET, WEBHOOK_ALLOW_HOSTS: '127.0.0.1', LOG_LEVEL: 'error', RATE_LIMIT_API: 'off' },
  })
  await mf.ready
  const binding = createQueueBindingPublisher((await mf.getQueueProducer(cloudflareOutboxQueue.binding)) as unknown as QueueProducer, logger)
  const startedC = performance.timeOrigin + performance.now()
  const viaCloudflare = await commit(N, new Outbox(), binding)
  await waitAll(viaCloudflare)
  await mf.dispose()
  const cloudflareRate = summarise('outbox → CF Queues → Worker → webhook', viaCloudflare, startedC)

  // Direct path: commit, then POST at once from the committing process.
  const webhook = new Webhook(whSecret)
  const marks = new pg.Pool({ connectionString: database.url, max: concurrency, application_name: 'bench-direct' })
  const startedD = performance.timeOrigin + performance.now()
  const direct = await commit(N)
  const pending = [...direct.keys()]
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = pending.shift(); id; id = pending.shift()) {
        const body = JSON.stringify({ type: 'email.sent', data: {} })
        const now = new Date()
        await fetch(receiverUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': webhook.sign(id, now, body) }, body })
        await marks.query(`UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1 WHERE id = $1::uuid`, [id.slice(4).replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5')])
      }
    }),
  )
  const directRate = summarise('direct POST after commit (baseline)', direct, startedD)
  await marks.end()
  const lost = (m: Map<string, number>) => [...m.keys()].filter((id) => !receipts.has(id)).length
  console.log(`\nSQS: ${N - lost(viaQueue)}/${N} received; Cloudflare Queues: ${N - lost(viaCloudflare)}/${N} received; ${invalid} invalid signatures`)
  console.log(`ratio SQS: ${(queueRate / directRate).toFixed(2)}, Cloudflare Queues: ${(cloudflareRate / directRate).toFixed(2)}  (queue events/s ÷ direct events/s: the price of durability and retries)`)
  await server.close()
} finally {
  await db.end().catch(() => undefined)
  receiver.close()
  await queue.stop()
  await database.stop()
}
