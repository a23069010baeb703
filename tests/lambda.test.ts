/** functions/lambda.ts fed real API Gateway v2 events, warm, on a real pool. */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { APIGatewayProxyResult } from 'hono/aws-lambda'
import { createLambdaHandler, type LambdaHandler } from '../functions/lambda.js'
import { parseServerlessYaml } from '../cron/serverless-yaml.js'
import { repoFiles } from '../cron/sync.js'
import type { ScheduledRun } from '../src/tasks/scheduled-run.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'
import { TEST_ENV, TEST_OPS_TOKEN } from './helpers/app.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'
import { httpApiEvent, lambdaContext, ruleEvent, scheduleInput, schedulerEvent, sqsEvent } from './helpers/lambda-events.js'

let db: TestDatabase
let handler: LambdaHandler
const appName = uniqueAppName('lambda')
let maxSeen = 0
let apiKey = ''

beforeAll(async () => {
  db = await freshDatabase()
  handler = createLambdaHandler({ ...TEST_ENV, DATABASE_URL: db.url, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: appName, DB_IDLE_TIMEOUT_MS: '500', LOG_LEVEL: 'silent' })
})
afterAll(async () => {
  await handler.connections.end()
  await db.drop()
})

async function invoke(...args: Parameters<typeof httpApiEvent>) {
  const result = (await handler(httpApiEvent(...args), lambdaContext())) as APIGatewayProxyResult
  const server = (await db.connections(appName)).length
  maxSeen = Math.max(maxSeen, server, handler.connections.stats().total)
  return { ...result, json: JSON.parse(result.body) }
}

describe('Lambda entry (API Gateway HTTP API v2)', () => {
  it('serves the same routes, twice warm, on one small pool', async () => {
    for (let round = 1; round <= 2; round++) {
      const health = await invoke('GET', '/health')
      expect(health.statusCode).toBe(200)
      expect(health.json).toEqual({ status: 'ok' })

      const credentials = { email: `warm${round}@example.com`, password: 'a long enough password' }
      const created = await invoke('POST', '/v1/auth/register', { body: credentials })
      expect(created.statusCode).toBe(201)
      expect(created.json.user.email).toBe(`warm${round}@example.com`)

      const login = await invoke('POST', '/v1/auth/login', { body: credentials })
      expect(login.statusCode).toBe(200)
      apiKey = login.json.apiKey
      const me = await invoke('GET', '/v1/me', { headers: { authorization: `Bearer ${apiKey}` } })
      expect(me.statusCode).toBe(200)
      expect(me.json).toEqual(created.json.user)

      const invalid = await invoke('POST', '/v1/auth/register', { body: '{"email":' })
      expect(invalid.statusCode).toBe(400)
      expect(invalid.json.error.code).toBe('bad_request')

      const ready = await invoke('GET', '/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
      expect(ready.statusCode).toBe(200)
      expect(ready.json.pools[0].max).toBe(2)
    }
    // Warm: one pool across invocations. 4 acquires a round (register, login, me, readyz); /health
    // and the malformed body never touch the database.
    expect(handler.connections.stats().acquires).toBe(8)
  })

  it('uses the API Gateway source IP for the ops allow-list', async () => {
    const allowListed = createLambdaHandler({ DATABASE_URL: db.url, OPS_ALLOW_IPS: '198.51.100.0/24', DB_APPLICATION_NAME: appName, LOG_LEVEL: 'silent' })
    const ok = (await allowListed(httpApiEvent('GET', '/readyz', { sourceIp: '198.51.100.9' }), lambdaContext())) as APIGatewayProxyResult
    const denied = (await allowListed(httpApiEvent('GET', '/readyz', { sourceIp: '203.0.113.9' }), lambdaContext())) as APIGatewayProxyResult
    expect([ok.statusCode, denied.statusCode]).toEqual([200, 401])
    await allowListed.connections.end()
  })

  it('never goes above the pool max, even when invocations overlap, and drains after the idle timeout', async () => {
    const auth = { authorization: `Bearer ${apiKey}` }
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => invoke('POST', '/v1/contacts', { body: { email: `burst${i}@example.com` }, headers: auth })))
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    expect(maxSeen).toBeLessThanOrEqual(2)
    await waitFor(async () => (await db.connections(appName)).length === 0, 500 + 1000)
  })

  it('serves a named HTTP API stage with the stage taken off the path', async () => {
    const health = await invoke('GET', '/health', { stage: 'dev' })
    expect([health.statusCode, health.json]).toEqual([200, { status: 'ok' }])
    const me = await invoke('GET', '/v1/me', { stage: 'prod', headers: { authorization: `Bearer ${apiKey}` } })
    expect(me.statusCode).toBe(200)
    // A path that merely starts like the stage name is the app's own.
    const other = await invoke('GET', '/devices', { stage: '$default' })
    expect(other.json.error.message).toBe('no route for GET /devices')
  })
})

describe('Lambda entry (schedules)', () => {
  let scheduled: LambdaHandler
  beforeAll(() => {
    scheduled = createLambdaHandler({ ...TEST_ENV, DATABASE_URL: db.url, TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, DB_APPLICATION_NAME: appName, LOG_LEVEL: 'silent' })
  })
  afterAll(() => scheduled.connections.end())
  const run = (event: unknown) => scheduled(event, lambdaContext('lowtide-dev-tasks')) as Promise<ScheduledRun>

  it('runs the task an EventBridge rule names, in each shape AWS delivers', async () => {
    // What serverless.yml sends: the input transformer's {"lowtideTask", "scheduledAt": $.time}.
    expect(await run(scheduleInput('ledger-cleanup', '2026-07-01T03:30:00Z'))).toMatchObject({ task: 'ledger-cleanup', statusCode: 200, ok: true, body: { status: 'succeeded', scheduledAt: '2026-07-01T03:30:00.000Z' } })
    // The raw Scheduled Event of a rule named <service>-<stage>-<task>.
    const raw = ruleEvent('lowtide-prod-low-credit-notices', '2026-07-01T08:00:00Z')
    expect(await run(raw)).toMatchObject({ task: 'low-credit-notices', statusCode: 200, body: { status: 'succeeded', scheduledAt: '2026-07-01T08:00:00.000Z' } })
    // Delivered again (EventBridge is at least once): a duplicate, which is not a failure.
    expect(await run(raw)).toMatchObject({ ok: true, body: { status: 'duplicate' } })
    // `outbox-sweep`'s rule is not taken for any shorter task name it ends with.
    expect(await run(ruleEvent('lowtide-prod-outbox-sweep', '2026-07-01T08:01:00Z'))).toMatchObject({ task: 'outbox-sweep', ok: true })
  })

  it('runs EventBridge Scheduler invocations: the input with its scheduled time, and the raw event', async () => {
    // The input serverless.yml gives each schedule, filled as Scheduler fills it.
    const resources = parseServerlessYaml(fs.readFileSync(repoFiles.serverlessPath, 'utf8')).resources!.Resources as Record<string, { Properties: { Target: { Input: string } } }>
    const input = resources.TaskScheduleLowCreditNotices!.Properties.Target.Input.replace('<aws.scheduler.scheduled-time>', '2026-07-03T08:00:00Z')
    expect(await run(JSON.parse(input))).toMatchObject({ task: 'low-credit-notices', ok: true, body: { status: 'succeeded', scheduledAt: '2026-07-03T08:00:00.000Z' } })
    expect(await run(scheduleInput('email-verification-reminders', '2026-07-01T06:00:00Z'))).toMatchObject({ task: 'email-verification-reminders', ok: true, body: { scheduledAt: '2026-07-01T06:00:00.000Z' } })
    expect(await run(schedulerEvent('lowtide-prod-chat-agent-sync-retry', '2026-07-01T06:05:00Z'))).toMatchObject({ task: 'chat-agent-sync-retry', ok: true, body: { status: 'succeeded' } })
    // No time in the input: the task's latest occurrence.
    expect(await run(scheduleInput('ledger-cleanup'))).toMatchObject({ ok: true, body: { status: expect.stringMatching(/^(succeeded|duplicate)$/) } })
  })

  it('runs every task due at the time of a Scheduled Event that names no rule (serverless-offline\'s scheduler), once', async () => {
    const tick = { ...ruleEvent('x', '2026-07-02T08:00:13Z'), resources: [] }
    const runs = (await scheduled(tick, lambdaContext())) as unknown as ScheduledRun[]
    // 08:00 is due for campaign-dispatch and outbox-sweep (every minute), low-credit-notices (8:00),
    // chat-agent-sync-retry (every 5 min); email-verification-reminders runs at 0, 6, 12, 18 h.
    expect(runs.map((r) => [r.task, r.ok, (r.body as { scheduledAt: string }).scheduledAt]).sort()).toEqual(
      ['campaign-dispatch', 'chat-agent-sync-retry', 'low-credit-notices', 'outbox-sweep'].map((t) => [t, true, '2026-07-02T08:00:00.000Z']),
    )
    // The same tick again (serverless-offline fires one per schedule): the ledger makes it a no-op.
    const again = (await scheduled(tick, lambdaContext())) as unknown as ScheduledRun[]
    expect(again.map((r) => (r.body as { status: string }).status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate'])
  })

  it('fails the invocation when the task fails or is unknown, so Lambda retries and alarms', async () => {
    await expect(run(scheduleInput('no-such-task', '2026-07-01T00:00:00Z'))).rejects.toThrow(/scheduled task no-such-task failed: 404 unknown_task/)
    await expect(run(ruleEvent('lowtide-prod-no-such-task', '2026-07-01T00:00:00Z'))).rejects.toThrow(/names no registered task/)
    // A run that throws inside the task answers 500: the invocation fails too.
    const broken = createLambdaHandler({ ...TEST_ENV, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, DB_CONNECT_TIMEOUT_MS: '200', LOG_LEVEL: 'silent' })
    await expect(broken(scheduleInput('ledger-cleanup', '2026-07-01T03:30:00Z'), lambdaContext())).rejects.toThrow(/scheduled task ledger-cleanup failed: 503 db_unavailable/)
    await broken.connections.end()
    // AWS's sample Scheduled Event (the console's test event) says 1970: refused, not run for 1970.
    await expect(run(ruleEvent('lowtide-prod-ledger-cleanup', '1970-01-01T00:00:00Z'))).rejects.toThrow(/failed: 400 validation_failed: scheduledAt is more than \d+ days ago/)
    // A request the task route refuses (a time in the future) is a failure as well, not a quiet 400.
    await expect(run(scheduleInput('ledger-cleanup', '2099-01-01T00:00:00Z'))).rejects.toThrow(/failed: 400 validation_failed: scheduledAt is in the future/)
  })

  it('rejects schedule events it cannot place, and events of other services, naming what it got', async () => {
    await expect(run({})).rejects.toThrow(/empty event \(\{\}\): EventBridge Scheduler sends \{\}/)
    const { time: _time, ...timeless } = ruleEvent('x', '2026-07-01T00:07:00Z')
    await expect(run({ ...timeless, resources: [] })).rejects.toThrow(/with neither a rule nor a time/)
    await expect(run(scheduleInput('ledger-cleanup', '<aws.scheduler.scheduled-time>'))).rejects.toThrow(/scheduledAt must be an ISO time/)
    await expect(run({ lowtideTask: 42 })).rejects.toThrow(/lowtideTask must be a task name/)
    const s3 = { version: '0', id: '1', 'detail-type': 'Object Created', source: 'aws.s3', account: '123456789012', time: '2026-07-01T00:00:00Z', region: 'eu-west-1', resources: [], detail: {} }
    await expect(run(s3)).rejects.toThrow(/unrecognised Lambda event \{source: "aws.s3"; detail-type: "Object Created"/)
    await expect(run({ Records: [{ eventSource: 'aws:sns' }] })).rejects.toThrow(/Records\[0\]\.eventSource: "aws:sns"/)
    await expect(run('hello')).rejects.toThrow(/unrecognised Lambda event \(string\)/)
  })

  it('delivers an SQS batch through /queue/deliver in-process, with partial batch failures', async () => {
    const { rows } = await db.observer.query<{ id: string }>(`INSERT INTO outbox (kind, payload) VALUES ('task', '{"task": "ledger-cleanup", "scheduledAt": "2026-10-01T03:30:00Z"}') RETURNING id`)
    const event = sqsEvent([
      { messageId: 'm-ok', receiptHandle: 'r-ok', body: JSON.stringify({ id: rows[0]!.id, kind: 'task' }) },
      { messageId: 'm-bad', receiptHandle: 'r-bad', body: 'not json' },
    ])
    expect(await scheduled(event, lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] })
    expect((await db.observer.query(`SELECT status FROM outbox WHERE id = $1`, [rows[0]!.id])).rows[0].status).toBe('done')
  })

  it('refuses to build with invalid configuration, naming the variable', () => {
    expect(() => createLambdaHandler({ DATABASE_URL: db.url, DB_POOL_MAX: 'two' })).toThrow(/DB_POOL_MAX/)
  })
})
