/**
 * The Worker on Cloudflare Queues alone, in workerd (Miniflare's local Queues), with wrangler.toml's
 * queues read by wrangler itself: the outbox publishes with the OUTBOX_QUEUE binding and the Worker's
 * own queue() consumes through the signed POST /queue/deliver. No AWS variable is set.
 */
import { randomUUID } from 'node:crypto'
import type { Miniflare } from 'miniflare'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cloudflareOutboxQueue as q } from '../cron/queues.js'
import { emitEvents } from '../src/domain/webhooks/events.js'
import { silentLogger } from '../src/logger.js'
import { createQueueBindingPublisher, createQueueConsumer, type QueueProducer } from '../src/queue/cloudflare-queue.js'
import { Outbox } from '../src/queue/outbox.js'
import { TEST_OPS_TOKEN } from './helpers/app.js'
import { uniqueAppName, waitFor } from './helpers/db.js'
import { proxiedDatabase, type ProxiedDatabase } from './helpers/proxied-db.js'
import { seedUser, type SeededUser } from './helpers/users.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'
import { startWorker, wranglerQueues } from './helpers/worker.js'

let pdb: ProxiedDatabase
let mf: Miniflare
let receiver: WebhookReceiver
let user: SeededUser
let endpointId: string
let producer: QueueProducer
const appName = uniqueAppName('worker-cfq')

beforeAll(async () => {
  pdb = await proxiedDatabase()
  receiver = await startWebhookReceiver()
  // wrangler.toml's queues, with retries that need no answer coming at once instead of after 30 s.
  const queues = wranglerQueues(undefined, { [q.queue]: { retryDelay: 0 } })
  mf = await startWorker({ DATABASE_URL: pdb.url, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: appName, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }, queues)
  producer = (await mf.getQueueProducer(q.binding)) as unknown as QueueProducer
  user = await seedUser(pdb.db.observer)
  const res = await mf.dispatchFetch('http://localhost/v1/webhooks', {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, eventTypes: ['email.sent', 'campaign.completed'] }),
  })
  const created = (await res.json()) as { id: string; secret: string }
  endpointId = created.id
  receiver.secret = created.secret
})
afterAll(async () => {
  await mf?.dispose()
  await receiver?.close()
  await pdb?.close()
})
afterEach(async () => {
  // Every message's request scope closed its connection.
  await waitFor(async () => (await pdb.db.connections(appName)).length === 0, 5000, 50)
  expect(await pdb.db.connections(appName)).toEqual([])
})

const webhookIdOf = (deliveryId: string) => `msg_${deliveryId.replace(/-/g, '')}`
const outboxRow = async (deliveryId: string) =>
  (await pdb.db.observer.query<{ id: string; status: string; attempts: number; last_error: string | null }>(`SELECT id, status, attempts, last_error FROM outbox WHERE payload->>'deliveryId' = $1`, [deliveryId])).rows[0]

/** A webhook test event through the Worker's API: its outbox row is published after commit with the binding. */
async function testEvent(): Promise<string> {
  const res = await mf.dispatchFetch(`http://localhost/v1/webhooks/${endpointId}/test`, { method: 'POST', headers: user.auth })
  expect(res.status).toBe(202)
  return ((await res.json()) as { deliveryId: string }).deliveryId
}

describe('the Worker with Cloudflare Queues as its outbox transport', () => {
  it('shows the transport in /readyz and /ops, with no AWS variable set', async () => {
    const ready = (await (await mf.dispatchFetch('http://localhost/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as { queue: unknown }
    expect(ready.queue).toEqual({ enabled: true, transport: 'cloudflare-queues' })
    const page = await (await mf.dispatchFetch('http://localhost/ops', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).text()
    expect(page).toMatch(/data-testid="outbox-transport">cloudflare-queues</)
  })

  it('delivers a change’s webhook event through the queue, signed (Standard Webhooks), once', async () => {
    const deliveryId = await testEvent()
    await waitFor(async () => receiver.accepted(webhookIdOf(deliveryId)) === 1, 15_000)
    const attempts = receiver.attempts.filter((a) => a.webhookId === webhookIdOf(deliveryId))
    expect(attempts).toMatchObject([{ verified: true, status: 204, type: 'webhook.test' }])
    await waitFor(async () => (await outboxRow(deliveryId))?.status === 'done', 5000)
    expect(await outboxRow(deliveryId)).toMatchObject({ status: 'done', attempts: 1 })
  })

  it('has one effect for a message delivered three times', async () => {
    const deliveryId = await testEvent()
    const row = (await outboxRow(deliveryId))!
    // Two more copies of the same message, as an at-least-once queue may hand over.
    await producer.sendBatch([0, 1].map(() => ({ body: { id: row.id, kind: 'webhook' }, contentType: 'json' as const })))
    await waitFor(async () => (await outboxRow(deliveryId))?.status === 'done', 15_000)
    // Long enough for the copies' batches to be consumed (max_batch_timeout is 1 s).
    await new Promise((r) => setTimeout(r, 3000))
    expect(receiver.accepted(webhookIdOf(deliveryId))).toBe(1)
    expect(receiver.attempts.filter((a) => a.webhookId === webhookIdOf(deliveryId))).toHaveLength(1)
    expect(await outboxRow(deliveryId)).toMatchObject({ status: 'done', attempts: 1 })
  })

  it('retries a failing receiver after the endpoint’s delay (5 s, the first of the webhook schedule)', async () => {
    receiver.failNext(1)
    const deliveryId = await testEvent()
    const id = webhookIdOf(deliveryId)
    await waitFor(async () => receiver.accepted(id) === 1, 25_000, 100)
    const [failed, succeeded] = receiver.attempts.filter((a) => a.webhookId === id)
    expect(failed!.status).toBe(500)
    expect(succeeded!.status).toBe(204)
    // retry({ delaySeconds: 5 }) from the endpoint's answer, not the queue's retry_delay (0 here).
    expect(succeeded!.at - failed!.at).toBeGreaterThanOrEqual(4500)
    await waitFor(async () => (await outboxRow(deliveryId))?.status === 'done', 5000)
    expect(await outboxRow(deliveryId)).toMatchObject({ status: 'done', attempts: 2 })
  })

  it('sends a poison message to the dead-letter queue, whose consumer records its row dead', async () => {
    // A row no delivery can even claim (a fault injected in the database): every delivery answers
    // 500, the queue retries it max_retries times, then hands it to the dead-letter queue.
    const id = randomUUID()
    await pdb.db.observer.query(`
      CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = '${id}'::uuid AND NEW.status = 'processing' THEN RAISE EXCEPTION 'poisoned row'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_poison BEFORE UPDATE ON outbox FOR EACH ROW EXECUTE FUNCTION test_poison();`)
    try {
      await pdb.db.observer.query(`INSERT INTO outbox (id, kind, payload) VALUES ($1, 'task', '{"task": "ledger-cleanup", "scheduledAt": "2026-10-01T03:30:00Z"}')`, [id])
      await producer.sendBatch([{ body: { id, kind: 'task' }, contentType: 'json' }])
      await waitFor(async () => (await pdb.db.observer.query(`SELECT 1 FROM outbox WHERE id = $1 AND status = 'dead'`, [id])).rowCount === 1, 25_000, 100)
      const { rows } = await pdb.db.observer.query(`SELECT status, last_error FROM outbox WHERE id = $1`, [id])
      expect(rows[0]).toEqual({ status: 'dead', last_error: 'the queue gave up on its message (dead-letter queue)' })
    } finally {
      await pdb.db.observer.query(`DROP TRIGGER test_poison ON outbox; DROP FUNCTION test_poison()`)
    }
  })

  it('retries the whole batch while the database is down, and loses nothing', async () => {
    // Three events committed (straight into the database) while the Worker cannot reach it.
    pdb.proxy.refuse(true)
    pdb.proxy.cut()
    const outbox = new Outbox()
    const deliveryIds = await emitEvents(pdb.db.observer, outbox, [1, 2, 3].map((n) => ({ userId: user.id, type: 'email.sent' as const, data: { n } })))
    await outbox.flush(createQueueBindingPublisher(producer, silentLogger))
    // The batch arrives (max_batch_timeout 1 s) and finds no database: nothing is attempted.
    await new Promise((r) => setTimeout(r, 3000))
    expect(deliveryIds.map((d) => receiver.accepted(webhookIdOf(d)))).toEqual([0, 0, 0])
    const waiting = await pdb.db.observer.query(`SELECT status, attempts FROM outbox WHERE payload->>'deliveryId' = ANY ($1)`, [deliveryIds])
    expect(waiting.rows).toEqual([1, 2, 3].map(() => ({ status: 'pending', attempts: 0 })))
    pdb.proxy.refuse(false)
    // retryAll({ delaySeconds: 10 }) brings the batch back.
    await waitFor(async () => deliveryIds.every((d) => receiver.accepted(webhookIdOf(d)) === 1), 30_000, 100)
    await waitFor(async () => (await pdb.db.observer.query(`SELECT 1 FROM outbox WHERE payload->>'deliveryId' = ANY ($1) AND status = 'done'`, [deliveryIds])).rowCount === 3, 5000)
    const done = await pdb.db.observer.query(`SELECT status, attempts FROM outbox WHERE payload->>'deliveryId' = ANY ($1)`, [deliveryIds])
    expect(done.rows).toEqual([1, 2, 3].map(() => ({ status: 'done', attempts: 1 })))
  })

  it('acknowledges a second copy of a message in the same batch, which would otherwise be retried toward the dead-letter queue', async () => {
    const { rows } = await pdb.db.observer.query<{ id: string }>(`INSERT INTO outbox (kind, payload) VALUES ('task', '{"task": "ledger-cleanup", "scheduledAt": "2026-10-04T03:30:00Z"}') RETURNING id`)
    const fates: string[] = []
    const message = (n: number) => ({ id: `m-${n}`, body: { id: rows[0]!.id, kind: 'task' }, attempts: 1, ack: () => fates.push(`ack ${n}`), retry: () => fates.push(`retry ${n}`) })
    const consume = createQueueConsumer({
      fetch: async (request) => (await mf.dispatchFetch(request.url, { method: request.method, headers: [...request.headers], body: await request.text() })) as unknown as Response,
      signingSecret: TEST_SIGNING_SECRET,
      logger: silentLogger,
      deadLetterQueues: [q.deadLetterQueue],
      maxRetries: q.maxRetries,
    })
    await consume({ queue: q.queue, messages: [message(1), message(2)], retryAll: () => fates.push('retryAll') })
    expect(fates.sort()).toEqual(['ack 1', 'ack 2'])
    expect((await pdb.db.observer.query(`SELECT status, attempts FROM outbox WHERE id = $1`, [rows[0]!.id])).rows).toEqual([{ status: 'done', attempts: 1 }])
  })

  it('acknowledges a message on its last delivery while the database is down: the sweep republishes the row, the dead-letter queue stays clear', async () => {
    const { rows } = await pdb.db.observer.query<{ id: string }>(`INSERT INTO outbox (kind, payload) VALUES ('task', '{"task": "ledger-cleanup", "scheduledAt": "2026-10-02T03:30:00Z"}'), ('task', '{"task": "ledger-cleanup", "scheduledAt": "2026-10-03T03:30:00Z"}') RETURNING id`)
    const fates: string[] = []
    const message = (id: string, attempts: number) => ({ id: `m-${attempts}`, body: { id, kind: 'task' }, attempts, ack: () => fates.push(`ack ${attempts}`), retry: () => fates.push(`retry ${attempts}`) })
    const consume = createQueueConsumer({
      fetch: async (request) => (await mf.dispatchFetch(request.url, { method: request.method, headers: [...request.headers], body: await request.text() })) as unknown as Response,
      signingSecret: TEST_SIGNING_SECRET,
      logger: silentLogger,
      deadLetterQueues: [q.deadLetterQueue],
      maxRetries: q.maxRetries,
      concurrency: 1,
    })
    pdb.proxy.refuse(true)
    pdb.proxy.cut()
    try {
      await consume({ queue: q.queue, messages: [message(rows[0]!.id, 3), message(rows[1]!.id, q.maxRetries + 1)], retryAll: (o) => fates.push(`retryAll ${o?.delaySeconds}`) })
    } finally {
      pdb.proxy.refuse(false)
    }
    // The first message found the database down; the second, out of retries, is acknowledged; retryAll takes the first.
    expect(fates).toEqual([`ack ${q.maxRetries + 1}`, 'retryAll 10'])
    const left = await pdb.db.observer.query(`SELECT status, attempts FROM outbox WHERE id = ANY ($1)`, [rows.map((r) => r.id)])
    expect(left.rows).toEqual([{ status: 'pending', attempts: 0 }, { status: 'pending', attempts: 0 }])
  })
})
