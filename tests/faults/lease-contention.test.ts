/**
 * Many queued runs of one task delivered at once — continuations piling up behind a slow run, a
 * backlog republished by the sweep — meet each other's lease. Waiting for a lease is not a failure:
 * on a queue that dead-letters a message on its 2nd receive and rows that die on their 2nd attempt,
 * every run must end done, none dead, none in the DLQ. And the runs waiting for the lease must not
 * starve the pool: the API, asked all along, answers 200.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createConsumer } from '../../functions/sqs-consumer.js'
import { startNodeServer, type NodeServer } from '../../functions/node.js'
import { loadConfig } from '../../src/config.js'
import { memoryLogger, silentLogger } from '../../src/logger.js'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import { TEST_ENV, TEST_OPS_TOKEN } from '../helpers/app.js'
import { deliverAtOnce } from '../helpers/contention.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { startLocalSqs, type LocalSqs } from '../helpers/fauxqs.js'
import { TEST_SIGNING_SECRET } from '../helpers/tasks.js'
import { sleep, timedRequest, type Answer } from './load.js'
import { recordFault } from './report.js'

const RUNS = 40
const RUN_MS = 300

let db: TestDatabase
let sqs: LocalSqs
let server: NodeServer
const logger = memoryLogger()

const serial: ScheduleEntry = {
  name: 'serial',
  cron: '0 0 * * *',
  description: `takes ${RUN_MS} ms, so runs delivered at once meet its lease`,
  task: () => async () => {
    await new Promise((resolve) => setTimeout(resolve, RUN_MS))
    return { processed: 1, more: false }
  },
}

beforeAll(async () => {
  db = await freshDatabase()
  sqs = await startLocalSqs({ maxReceiveCount: 2, visibilityTimeoutS: 1 })
  const config = loadConfig(
    { ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, SQS_QUEUE_URL: sqs.queueUrl, SQS_ENDPOINT: sqs.endpoint, QUEUE_MAX_ATTEMPTS: '2', OPS_TOKEN: TEST_OPS_TOKEN, DB_POOL_MAX: '3' },
    'node',
  )
  server = await startNodeServer(config, { logger, schedules: [serial] })
})
afterAll(async () => {
  await server?.close()
  await sqs?.stop()
  await db?.drop()
})

it(`${RUNS} queued runs of one task delivered at once: all done, 0 dead, 0 in the DLQ, no attempt spent waiting, the API answering all along`, async () => {
  const { rows: inserted } = await db.observer.query<{ id: string }>(
    `INSERT INTO outbox (kind, payload, max_attempts)
     SELECT 'task', jsonb_build_object('task', 'serial', 'scheduledAt', to_json(timestamptz '2026-11-01' + n * interval '1 minute')), 2
     FROM generate_series(1, $1) AS n RETURNING id`,
    [RUNS],
  )
  const deliveries: { status: number; ms: number }[] = []
  const consume = createConsumer({
    appBaseUrl: server.url,
    signingSecret: TEST_SIGNING_SECRET,
    queueUrl: sqs.queueUrl,
    sqs: sqs.sqs,
    logger: silentLogger,
    async fetch(request) {
      const started = performance.now()
      const res = await fetch(request)
      deliveries.push({ status: res.status, ms: performance.now() - started })
      return res
    },
  })
  // The API meanwhile: /readyz takes a pooled connection like any route.
  const api: Answer[] = []
  let delivering = true
  const asking = (async () => {
    while (delivering) {
      api.push(await timedRequest(`${server.url}/readyz`, { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }, 10_000))
      await sleep(20)
    }
  })()
  const { rows, dlq, ms } = await deliverAtOnce(db.observer, sqs, consume, inserted.map((r) => r.id), 90_000).finally(() => {
    delivering = false
  })
  await asking
  const waits = rows.reduce((n, r) => n + r.lease_waits, 0)
  const done = rows.filter((r) => r.status === 'done').length
  recordFault({
    scenario: `lease contention: ${RUNS} runs of one task at once`,
    driver: 'pg, pool + SQS (fauxqs)',
    faults: waits,
    acked: done,
    lost: RUNS - done,
    http500: deliveries.filter((d) => d.status === 500).length,
    hangs: 0,
    maxRequestMs: Math.max(...deliveries.map((d) => d.ms)),
    recoveryMs: ms,
  })
  const apiSlowest = Math.max(...api.map((a) => a.ms))
  console.log(`[faults] ${RUNS} runs of one ${RUN_MS} ms task at once: done in ${Math.round(ms)} ms (serially ${RUNS * RUN_MS} ms), ${waits} lease waits, ${deliveries.length} deliveries; API meanwhile: ${api.length} requests, slowest ${Math.round(apiSlowest)} ms`)
  expect(rows.map((r) => r.status)).toEqual(Array(RUNS).fill('done'))
  expect(rows.map((r) => r.attempts)).toEqual(Array(RUNS).fill(1))
  expect(waits).toBeGreaterThan(0)
  expect(dlq).toBe(0)
  expect(deliveries.filter((d) => d.status !== 200)).toEqual([])
  const runs = await db.observer.query(`SELECT status, count(*)::int AS n FROM task_runs WHERE task = 'serial' GROUP BY status`)
  expect(runs.rows).toEqual([{ status: 'succeeded', n: RUNS }])
  expect(logger.records.filter((r) => r.msg === 'unhandled error')).toEqual([])
  expect(api.filter((a) => a.status !== 200).map((a) => [a.status, a.code])).toEqual([])
}, 120_000)
