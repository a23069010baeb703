/** The real Worker bundle (as `wrangler deploy` builds it) in workerd through Miniflare, against the test Postgres. */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_OPS_TOKEN } from './helpers/app.js'
import { startWorker } from './helpers/worker.js'
import { TEST_SIGNING_SECRET } from './helpers/tasks.js'
import { createConsumer } from '../functions/sqs-consumer.js'
import { silentLogger } from '../src/logger.js'
import { sqsEvent } from './helpers/lambda-events.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'

let db: TestDatabase
let mf: Miniflare
const appName = uniqueAppName('worker')

beforeAll(async () => {
  db = await freshDatabase()
  mf = await startWorker({ DATABASE_URL: db.url, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: appName })
})
afterAll(async () => {
  await mf?.dispose()
  await db?.drop()
})

const call = async (path: string, init?: RequestInit) => {
  const res = await mf.dispatchFetch(`http://localhost${path}`, init as never)
  return { status: res.status, headers: res.headers, json: (await res.json()) as any }
}
const noConnectionsLeft = () => waitFor(async () => (await db.connections(appName)).length === 0, 2000, 20)

describe('Worker in workerd', () => {
  it('answers /health without a database', async () => {
    expect(await call('/health')).toMatchObject({ status: 200, json: { status: 'ok' } })
    expect(await db.connections(appName)).toEqual([])
  })

  it('runs every API module against Postgres, leaving 0 connections after each request', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    const credentials = { email: 'edge@example.com', password: 'a long enough password' }

    const registered = await post('/v1/auth/register', { ...credentials, name: 'Edge' })
    expect(registered).toMatchObject({ status: 201, json: { user: { email: 'edge@example.com', name: 'Edge', emailVerified: false } } })
    await noConnectionsLeft()
    expect((await post('/v1/auth/register', { ...credentials, email: 'EDGE@example.com' })).status).toBe(409)

    // The verification email went through the db transport, from inside workerd.
    const { rows } = await db.observer.query<{ body: string }>(`SELECT body FROM sent_emails WHERE to_email = 'edge@example.com' AND kind = 'verification'`)
    const token = /^\s{2}(\S+)$/m.exec(rows[0]!.body)![1]!
    expect((await post('/v1/auth/verify-email', { token })).json.user.emailVerified).toBe(true)

    const login = await post('/v1/auth/login', credentials)
    expect(login.status).toBe(200)
    const auth = { authorization: `Bearer ${login.json.apiKey}` }
    await db.observer.query(`UPDATE users SET role = 'admin', credit_balance = 5 WHERE email = 'edge@example.com'`)

    expect(await call('/v1/me', { headers: auth })).toMatchObject({ status: 200, json: { email: 'edge@example.com', role: 'admin' } })
    expect(await call('/v1/credits', { headers: auth })).toMatchObject({ status: 200, json: { balance: 5 } })
    const contact = await post('/v1/contacts', { email: 'c@example.com', firstName: 'Cy' }, auth)
    expect(contact.status).toBe(201)
    expect((await call('/v1/contacts', { headers: auth })).json.items).toHaveLength(1)
    const campaign = await post('/v1/campaigns', { name: 'Edge', fromEmail: 'me@example.com', subject: 'Hi {{firstName}}', body: 'Hello', contactIds: [contact.json.id] }, auth)
    expect(campaign).toMatchObject({ status: 201, json: { status: 'draft', contactCount: 1 } })
    const started = await post(`/v1/campaigns/${campaign.json.id}/start`, {}, auth)
    expect(started).toMatchObject({ status: 200, json: { status: 'running', stats: { pending: 1 } } })
    // Subscribed to an event nothing below raises: no delivery here can reach example.com (in workerd
    // an unresolvable host is an internal error that marks the cron event below as an exception).
    const hook = await post('/v1/webhooks', { url: 'https://example.com/hook', eventTypes: ['webhook.disabled'] }, auth)
    expect(hook.json.secret).toMatch(/^whsec_/)
    expect(await call('/v1/admin/stats', { headers: auth })).toMatchObject({ status: 200, json: { degraded: false, users: { total: 1 } } })
    await noConnectionsLeft()
  })

  it('runs the tasks of a cron trigger through the signed task route, against Postgres', async () => {
    const worker = await mf.getWorker()
    const scheduledTime = new Date(Math.floor(Date.now() / 60_000) * 60_000)
    const result = await worker.scheduled({ cron: '* * * * *', scheduledTime })
    expect(result.outcome).toBe('ok')
    await waitFor(async () => (await db.observer.query(`SELECT 1 FROM task_runs WHERE task = 'campaign-dispatch' AND status = 'succeeded'`)).rowCount === 1, 5000)
    const { rows } = await db.observer.query(`SELECT trigger, to_json(scheduled_at)#>>'{}' AS at FROM task_runs WHERE task = 'campaign-dispatch'`)
    expect(rows[0].trigger).toBe('cron')
    expect(new Date(rows[0].at).getTime()).toBe(scheduledTime.getTime())
    // The campaign started in the walk-through above had one due email: it went out.
    const sent = await db.observer.query(`SELECT count(*)::int AS n FROM sent_emails WHERE kind = 'campaign'`)
    expect(sent.rows[0].n).toBe(1)
    // Every task of that cron ran (dispatch and the outbox sweep); another cron string runs only its own.
    await waitFor(async () => (await db.observer.query(`SELECT 1 FROM task_runs WHERE task = 'outbox-sweep'`)).rowCount === 1, 5000)
    await worker.scheduled({ cron: '*/5 * * * *', scheduledTime })
    await waitFor(async () => (await db.observer.query(`SELECT 1 FROM task_runs WHERE task = 'chat-agent-sync-retry'`)).rowCount === 1, 5000)
    const tasks = await db.observer.query(`SELECT DISTINCT task FROM task_runs ORDER BY task`)
    expect(tasks.rows.map((r) => r.task)).toEqual(['campaign-dispatch', 'chat-agent-sync-retry', 'outbox-sweep'])
    await noConnectionsLeft()
  })

  it("runs one occurrence however often its cron fires within the period (wrangler dev's /__scheduled four times in 4 s)", async () => {
    const worker = await mf.getWorker()
    const base = Date.now()
    for (let i = 0; i < 4; i++) expect((await worker.scheduled({ cron: '0 8 * * *', scheduledTime: new Date(base + i * 1000) })).outcome).toBe('ok')
    await waitFor(async () => (await db.observer.query(`SELECT 1 FROM task_runs WHERE task = 'low-credit-notices'`)).rowCount === 1, 5000)
    // The three later firings were duplicates of the latest 08:00, which ran once.
    await new Promise((r) => setTimeout(r, 500))
    const { rows } = await db.observer.query(`SELECT to_json(scheduled_at)#>>'{}' AS at FROM task_runs WHERE task = 'low-credit-notices'`)
    const latest8 = new Date(base)
    if (latest8.getUTCHours() < 8) latest8.setUTCDate(latest8.getUTCDate() - 1)
    latest8.setUTCHours(8, 0, 0, 0)
    expect(rows.map((r) => new Date(r.at).getTime())).toEqual([latest8.getTime()])
    await noConnectionsLeft()
  })

  it('is what the SQS consumer delivers to: an outbox row processed in workerd, end to end', async () => {
    const { rows } = await db.observer.query<{ id: string }>(
      `INSERT INTO outbox (kind, payload) VALUES ('task', '{"task": "ledger-cleanup", "scheduledAt": "2026-10-01T03:30:00Z"}') RETURNING id`,
    )
    const consume = createConsumer({
      appBaseUrl: 'http://localhost',
      signingSecret: TEST_SIGNING_SECRET,
      fetch: async (request) => (await mf.dispatchFetch(request.url, { method: request.method, headers: [...request.headers], body: await request.text() })) as unknown as Response,
      logger: silentLogger,
    })
    const event = sqsEvent([{ messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify({ id: rows[0]!.id, kind: 'task' }) }])
    expect(await consume(event)).toEqual({ batchItemFailures: [] })
    const outbox = await db.observer.query(`SELECT status FROM outbox WHERE id = $1`, [rows[0]!.id])
    expect(outbox.rows[0].status).toBe('done')
    const run = await db.observer.query(`SELECT trigger FROM task_runs WHERE task = 'ledger-cleanup'`)
    expect(run.rows).toEqual([{ trigger: 'queue' }])
    await noConnectionsLeft()
  })

  it('streams campaign progress as SSE from workerd, holding no connection between updates', async () => {
    const { rows } = await db.observer.query<{ id: string }>(`SELECT id FROM campaigns LIMIT 1`)
    // The walk-through's user owns it; log in again for a key.
    const login = await call('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'edge@example.com', password: 'a long enough password' }) })
    const res = await mf.dispatchFetch(`http://localhost/v1/campaigns/${rows[0]!.id}/events`, { headers: { authorization: `Bearer ${login.json.apiKey}` } })
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toMatch(/^event: progress\ndata: \{"status":"(running|completed)"/)
    await reader.cancel()
    await noConnectionsLeft()
  })

  it('reports readiness with the ops token and refuses without it', async () => {
    expect((await call('/readyz')).status).toBe(401)
    const ready = await call('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
    expect(ready.status).toBe(200)
    expect(ready.json.pools[0].mode).toBe('per-request')
    expect(ready.json.connections.total).toBe(1)
    // The ops dashboard renders in workerd too.
    const page = await mf.dispatchFetch('http://localhost/ops', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>lowtide ops</title>')
    await noConnectionsLeft()
  })

  it('turns bad input into 4xx JSON, never a 500', async () => {
    const malformed = await call('/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email"' })
    expect(malformed).toMatchObject({ status: 400, json: { error: { code: 'bad_request' } } })
    const wrongType = await call('/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":5}' })
    expect(wrongType).toMatchObject({ status: 400, json: { error: { code: 'validation_failed' } } })
    const huge = await call('/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.com', password: 'x'.repeat(2_000_000) }) })
    expect(huge).toMatchObject({ status: 413, json: { error: { code: 'payload_too_large' } } })
    expect((await call('/missing')).status).toBe(404)
    await noConnectionsLeft()
  })
})
