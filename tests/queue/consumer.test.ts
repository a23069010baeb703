/**
 * The queue path end to end on loopback: outbox → fauxqs (a real SQS wire API) → the SQS consumer
 * handler (functions/sqs-consumer.ts) → signed POST /queue/deliver on a Node server → Postgres.
 */
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { schedules } from '../../cron/schedules.js'
import { createConsumer, type SqsEvent } from '../../functions/sqs-consumer.js'
import { queueUrlFromArn } from '../../src/queue/sqs-batch.js'
import { startNodeServer, type NodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { memoryLogger, silentLogger } from '../../src/logger.js'
import { leaseWaitSeconds } from '../../src/tasks/queue-handler.js'
import { taskRequest } from '../../src/tasks/trigger.js'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import { startSqsPoller } from '../../tools/lib/sqs-poller.js'
import { TEST_ENV } from '../helpers/app.js'
import { freshDatabase, waitFor, type TestDatabase } from '../helpers/db.js'
import { deliverAtOnce } from '../helpers/contention.js'
import { startLocalSqs, type LocalSqs } from '../helpers/fauxqs.js'
import { TEST_SIGNING_SECRET } from '../helpers/tasks.js'
import { TEST_QUEUE_ARN } from '../helpers/lambda-events.js'
import { sqsRecord } from '../../tools/lib/sqs-record.js'

let db: TestDatabase
let sqs: LocalSqs
let server: NodeServer
const ran: string[] = []

const entries: ScheduleEntry[] = [
  ...schedules.filter((s) => s.name === 'outbox-sweep'),
  {
    name: 'enqueuer',
    cron: '0 0 * * *',
    description: 'enqueues two echo runs',
    task: () => async (ctx) => {
      await ctx.enqueue('echo', { scheduledAt: new Date('2026-09-01T00:00:00Z') })
      await ctx.enqueue('echo', { scheduledAt: new Date('2026-09-01T00:01:00Z') })
      return { processed: 2, more: false }
    },
  },
  {
    name: 'echo',
    cron: '0 0 * * *',
    description: 'records that it ran',
    task: () => async (ctx) => {
      ran.push(ctx.scheduledAt.toISOString())
      return { processed: 1, more: false }
    },
  },
  {
    name: 'serial',
    cron: '0 0 * * *',
    description: 'takes 400 ms, so runs delivered at once meet its lease',
    task: () => async () => {
      await new Promise((resolve) => setTimeout(resolve, 400))
      return { processed: 1, more: false }
    },
  },
  {
    name: 'chunked',
    cron: '0 0 * * *',
    description: 'always has more to do',
    task: () => async () => ({ processed: 1, more: true }),
  },
  {
    name: 'broken',
    cron: '0 0 * * *',
    description: 'always fails',
    task: () => async () => {
      throw new Error('receiver down')
    },
  },
]

beforeAll(async () => {
  db = await freshDatabase()
  sqs = await startLocalSqs({ maxReceiveCount: 2, visibilityTimeoutS: 1 })
  const config = loadConfig(
    { ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, SQS_QUEUE_URL: sqs.queueUrl, SQS_ENDPOINT: sqs.endpoint, QUEUE_MAX_ATTEMPTS: '2' },
    'node',
  )
  server = await startNodeServer(config, { logger: memoryLogger(), schedules: entries })
})
afterAll(async () => {
  await server?.close()
  await sqs?.stop()
  await db?.drop()
})

const consumer = (baseUrl = server.url) => createConsumer({ appBaseUrl: baseUrl, signingSecret: TEST_SIGNING_SECRET, queueUrl: sqs.queueUrl, sqs: sqs.sqs, logger: silentLogger })
const trigger = (name: string, scheduledAt?: Date) => fetch(taskRequest(server.url, name, { secret: TEST_SIGNING_SECRET, scheduledAt, trigger: 'test' }))
const outboxRows = (kind = 'task') => db.observer.query<{ id: string; status: string; attempts: number; payload: { task: string } }>(`SELECT id, status, attempts, payload FROM outbox WHERE kind = $1 ORDER BY created_at`, [kind])
let seq = 0
/** An outbox row as Outbox.add writes it (max_attempts = QUEUE_MAX_ATTEMPTS = 2), each for its own occurrence. */
const taskRow = async (task: string) =>
  (await db.observer.query(`INSERT INTO outbox (kind, payload, max_attempts) VALUES ('task', $1, 2) RETURNING id`, [{ task, scheduledAt: new Date(Date.UTC(2026, 10, 1) + ++seq * 1000).toISOString() }])).rows[0].id as string
const record = (id: string, n: number) => sqsRecord({ messageId: `m-${n}`, receiptHandle: `r-${n}`, body: JSON.stringify({ id, kind: 'task' }), queueArn: TEST_QUEUE_ARN })

describe('outbox → SQS → consumer → /queue/deliver', () => {
  it('delivers what a task enqueued, through the real queue, once', async () => {
    const res = await trigger('enqueuer', new Date('2026-09-01T00:00:00Z'))
    expect(res.status).toBe(200)
    const poller = startSqsPoller(sqs.sqs, sqs.queueUrl, consumer())
    try {
      await waitFor(async () => (await outboxRows()).rows.every((r) => r.status === 'done') && ran.length === 2, 10_000)
    } finally {
      await poller.stop()
    }
    expect(ran.sort()).toEqual(['2026-09-01T00:00:00.000Z', '2026-09-01T00:01:00.000Z'])
    const { rows } = await db.observer.query(`SELECT trigger FROM task_runs WHERE task = 'echo'`)
    expect(rows.map((r) => r.trigger)).toEqual(['queue', 'queue'])
  })

  it('processes a message delivered three times once', async () => {
    const id = await taskRow('echo')
    const before = ran.length
    const handle = consumer()
    for (let i = 0; i < 3; i++) expect(await handle({ Records: [record(id, i)] })).toEqual({ batchItemFailures: [] })
    expect(ran.length).toBe(before + 1)
    expect((await db.observer.query(`SELECT status, attempts FROM outbox WHERE id = $1`, [id])).rows[0]).toEqual({ status: 'done', attempts: 1 })
  })

  it('acknowledges a second copy of a message in the same batch instead of reporting it failed; the work runs once', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await taskRow('echo'), await taskRow('echo')]
      const before = ran.length
      // Two copies of `a` (an at-least-once queue's duplicate) side by side with `b`, as SQS may batch them.
      const copies = [record(a, 0), record(b, 1), record(a, 2)]
      expect(await consumer()({ Records: copies })).toEqual({ batchItemFailures: [] })
      expect(ran.length).toBe(before + 2)
      const rows = (await db.observer.query(`SELECT status, attempts FROM outbox WHERE id = ANY($1)`, [[a, b]])).rows
      expect(rows).toEqual([{ status: 'done', attempts: 1 }, { status: 'done', attempts: 1 }])
    }
  })

  it('reports exactly the failed messages of a batch of 10', async () => {
    const ids = [] as string[]
    for (let i = 0; i < 10; i++) ids.push(await taskRow(i % 4 === 1 ? 'broken' : 'echo'))
    const event: SqsEvent = { Records: ids.map(record) }
    // All at once: the runs of one task wait for each other's lease, which is not a failure.
    const { batchItemFailures } = await createConsumer({ appBaseUrl: server.url, signingSecret: TEST_SIGNING_SECRET, logger: silentLogger })(event)
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-5' }, { itemIdentifier: 'm-9' }])
    const statuses = (await db.observer.query(`SELECT id, status FROM outbox WHERE id = ANY($1)`, [ids])).rows
    expect(statuses.filter((r) => r.status === 'pending')).toHaveLength(3)
    expect(statuses.filter((r) => r.status === 'done')).toHaveLength(7)
  })

  it('runs 12 queued runs of one task delivered at once without spending their attempts: all done, 0 dead, 0 DLQ', async () => {
    // This queue sends a message to the DLQ on its 2nd receive and a row dies on its 2nd attempt:
    // a lease wait counted as a failure shows here at once.
    const ids = [] as string[]
    for (let i = 0; i < 12; i++) ids.push(await taskRow('serial'))
    const { rows, dlq, ms } = await deliverAtOnce(db.observer, sqs, consumer(), ids, 40_000)
    const waits = rows.reduce((n, r) => n + r.lease_waits, 0)
    console.log(`[queue] 12 runs of one 400 ms task delivered at once: done in ${Math.round(ms)} ms, ${waits} lease waits, 0 attempts spent on them`)
    expect(rows.map((r) => r.status)).toEqual(Array(12).fill('done'))
    expect(rows.map((r) => r.attempts)).toEqual(Array(12).fill(1))
    expect(waits).toBeGreaterThan(0) // they did collide: 12 × 400 ms cannot fit in one 2 s wait
    expect(dlq).toBe(0)
    const runs = await db.observer.query(`SELECT status, count(*)::int AS n FROM task_runs WHERE task = 'serial' GROUP BY status`)
    expect(runs.rows).toEqual([{ status: 'succeeded', n: 12 }])
  }, 60_000)

  it('waits for a held lease about as long as it has left: 1 s, 2 s, 4 s… never past its end, never past 15 min', () => {
    const now = Date.parse('2026-12-01T00:00:00Z')
    const inS = (s: number) => new Date(now + s * 1000).toISOString()
    expect([0, 1, 2, 3, 5].map((w) => leaseWaitSeconds(inS(40), w, now))).toEqual([1, 2, 4, 8, 32])
    expect(leaseWaitSeconds(inS(40), 6, now)).toBe(40)
    expect(leaseWaitSeconds(inS(-5), 3, now)).toBe(1) // expired: take it over now
    expect(leaseWaitSeconds(inS(7200), 40, now)).toBe(900)
  })

  it('coalesces continuations of one task: while one is pending, another is that one', async () => {
    const first = (await (await trigger('chunked', new Date('2026-09-03T00:00:00Z'))).json()) as { more: boolean; continuation: string }
    const second = (await (await trigger('chunked', new Date('2026-09-04T00:00:00Z'))).json()) as { more: boolean; continuation: string }
    expect(first.more && second.more).toBe(true)
    expect(second.continuation).toBe(first.continuation)
    const pending = await db.observer.query(`SELECT id FROM outbox WHERE coalesce_key = 'continuation:chunked' AND status = 'pending'`)
    expect(pending.rows).toEqual([{ id: first.continuation }])

    // A continuation that has to wait, while a newer one is pending, is done: the newer one does its work.
    await db.observer.query(`INSERT INTO task_leases VALUES ('chunked', gen_random_uuid(), 'elsewhere', now(), now() + interval '1 hour')
      ON CONFLICT (task) DO UPDATE SET run_id = EXCLUDED.run_id, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at`)
    const delivering = consumer()({ Records: [record(first.continuation, 0)] })
    await waitFor(async () => (await db.observer.query(`SELECT status FROM outbox WHERE id = $1`, [first.continuation])).rows[0].status === 'processing', 2000, 20)
    const newer = (await db.observer.query(`INSERT INTO outbox (kind, payload, coalesce_key) VALUES ('task', '{"task":"chunked"}', 'continuation:chunked') RETURNING id`)).rows[0].id
    expect(await delivering).toEqual({ batchItemFailures: [] })
    expect((await db.observer.query(`SELECT status, attempts, last_error FROM outbox WHERE id = $1`, [first.continuation])).rows[0]).toEqual({ status: 'done', attempts: 1, last_error: 'coalesced with a pending row' })
    // Without a newer one, it goes back to pending with the attempt given back, and comes back after the wait.
    await db.observer.query(`UPDATE outbox SET status = 'dead' WHERE id = $1`, [newer])
    const again = await taskRow('chunked')
    expect(await consumer()({ Records: [record(again, 1)] })).toEqual({ batchItemFailures: [] })
    const row = (await db.observer.query(`SELECT status, attempts, lease_waits, next_attempt_at > now() AS later FROM outbox WHERE id = $1`, [again])).rows[0]
    expect(row).toEqual({ status: 'pending', attempts: 0, lease_waits: 1, later: true })
    await db.observer.query(`UPDATE task_leases SET expires_at = now() WHERE task = 'chunked'`)
    await db.observer.query(`UPDATE outbox SET status = 'dead' WHERE id = $1`, [again])
  }, 20_000)

  it('reports the whole batch failed when the app is unreachable, and loses nothing', async () => {
    const ids = [await taskRow('echo'), await taskRow('echo')]
    const { batchItemFailures } = await consumer('http://127.0.0.1:1')({ Records: ids.map(record) })
    expect(batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-0', 'm-1'])
    const { rows } = await db.observer.query(`SELECT status FROM outbox WHERE id = ANY($1)`, [ids])
    expect(rows.map((r) => r.status)).toEqual(['pending', 'pending'])
  })

  it("holds a retried message back by its backoff, on the queue its record's ARN names", async () => {
    const id = await taskRow('broken')
    await sqs.sqs.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: JSON.stringify({ id, kind: 'task' }) }))
    // No queueUrl: the consumer finds the queue from eventSourceARN, as the deployed Lambda does.
    const logger = memoryLogger()
    const poller = startSqsPoller(sqs.sqs, sqs.queueUrl, createConsumer({ appBaseUrl: server.url, signingSecret: TEST_SIGNING_SECRET, sqs: sqs.sqs, endpoint: sqs.endpoint, logger }))
    try {
      await waitFor(async () => (await db.observer.query(`SELECT attempts FROM outbox WHERE id = $1`, [id])).rows[0].attempts === 1, 5000)
      // The queue's own visibility timeout is 1 s; the first backoff is 5 s. Had the visibility
      // change missed the queue, the message would be back within ~1 s.
      await new Promise((resolve) => setTimeout(resolve, 2500))
      expect((await db.observer.query(`SELECT attempts FROM outbox WHERE id = $1`, [id])).rows[0].attempts).toBe(1)
    } finally {
      await poller.stop()
    }
    expect(logger.records.filter((r) => r.msg === 'visibility change failed')).toEqual([])
    expect(queueUrlFromArn('arn:aws:sqs:eu-west-1:123456789012:lowtide-outbox')).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/lowtide-outbox')
    expect(() => queueUrlFromArn('arn:aws:sns:eu-west-1:123456789012:topic')).toThrow(/not an SQS queue ARN/)
    await db.observer.query(`UPDATE outbox SET status = 'dead' WHERE id = $1`, [id])
  }, 20_000)

  it('marks a row dead after the configured attempts, and sends an unreadable message to the DLQ', async () => {
    const id = await taskRow('broken')
    const handle = consumer()
    expect((await handle({ Records: [record(id, 0)] })).batchItemFailures).toHaveLength(1) // attempt 1: retry
    await db.observer.query(`UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, [id])
    expect((await handle({ Records: [record(id, 1)] })).batchItemFailures).toHaveLength(0) // attempt 2 of 2: dead, acknowledged
    expect((await db.observer.query(`SELECT status, last_error FROM outbox WHERE id = $1`, [id])).rows[0]).toEqual({ status: 'dead', last_error: 'receiver down' })

    await sqs.sqs.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'not json at all' }))
    const poller = startSqsPoller(sqs.sqs, sqs.queueUrl, handle)
    try {
      let dead: string | undefined
      await waitFor(async () => {
        const got = await sqs.sqs.send(new ReceiveMessageCommand({ QueueUrl: sqs.dlqUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }))
        dead = got.Messages?.[0]?.Body
        return dead !== undefined
      }, 10_000, 200)
      expect(dead).toBe('not json at all')
    } finally {
      await poller.stop()
    }
  }, 20_000)

  it('loses nothing when SQS is unreachable at commit time: the sweep republishes 1 000 rows', async () => {
    const offline = await startNodeServer(
      loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, SQS_QUEUE_URL: sqs.queueUrl, SQS_ENDPOINT: 'http://127.0.0.1:1' }, 'node'),
      { logger: memoryLogger(), schedules: [...entries, { ...entries[1]!, name: 'many', task: () => async (ctx) => {
        // Off echo's cron (00:00 daily): SQS delivers in any order, and a later run must not catch up
        // (skip) an occurrence that one of these rows is still on its way to run.
        for (let i = 0; i < 1000; i++) await ctx.enqueue('echo', { scheduledAt: new Date(Date.UTC(2027, 0, 1, 0, 0, i + 1)) })
        return { processed: 1000, more: false }
      } }] },
    )
    const res = await fetch(taskRequest(offline.url, 'many', { secret: TEST_SIGNING_SECRET, scheduledAt: new Date('2026-09-02T00:00:00Z'), trigger: 'test' }))
    expect(res.status).toBe(200) // the publish failed, the rows are committed
    await offline.close()
    const pendingEchoes = async () => (await db.observer.query(`SELECT count(*)::int AS n FROM outbox WHERE status <> 'done' AND payload->>'scheduledAt' LIKE '2027-%'`)).rows[0].n
    expect(await pendingEchoes()).toBe(1000)
    await db.observer.query(`UPDATE outbox SET next_attempt_at = now() - interval '2 minutes' WHERE status = 'pending' AND payload->>'scheduledAt' LIKE '2027-%'`)
    const before = ran.length
    const sweep = await trigger('outbox-sweep', new Date())
    const swept = (await sweep.json()) as { processed: number; result: { mode: string } }
    expect(swept.result.mode).toBe('republished')
    expect(swept.processed).toBeGreaterThanOrEqual(1000)
    // One delivery at a time: these are 1 000 runs of one task, which its lease serialises anyway.
    const serial = createConsumer({ appBaseUrl: server.url, signingSecret: TEST_SIGNING_SECRET, queueUrl: sqs.queueUrl, sqs: sqs.sqs, concurrency: 1, logger: silentLogger })
    const poller = startSqsPoller(sqs.sqs, sqs.queueUrl, serial)
    const started = performance.now()
    try {
      await waitFor(async () => (await pendingEchoes()) === 0, 80_000, 200)
      console.log(`[queue] 1 000 republished rows delivered through fauxqs in ${Math.round(performance.now() - started)} ms`)
    } finally {
      await poller.stop()
    }
    expect(ran.length - before).toBe(1000)
  }, 120_000)
})
