/**
 * The built Lambda artifacts in a real local Lambda runtime: serverless-offline (on osls) reads the
 * project's serverless.yml, unpacks dist/lambda/*.zip and serves them — HTTP API routes through API
 * Gateway's event shape, and the `tasks` function through Lambda's own Invoke API. Values that only
 * CloudFormation resolves (`!Ref OutboxQueue`) arrive as "[object Object]": routes must not care.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { TEST_OPS_TOKEN } from '../helpers/app.js'
import { TEST_SIGNING_SECRET } from '../helpers/tasks.js'
import { serviceCopy, startOffline, type Offline } from '../helpers/osls.js'
import { scheduleInput } from '../helpers/lambda-events.js'

let db: TestDatabase
let dir: string
let offline: Offline

beforeAll(async () => {
  db = await freshDatabase()
  dir = await serviceCopy()
  offline = await startOffline(dir, { databaseUrl: db.url, opsToken: TEST_OPS_TOKEN, taskSigningSecret: TEST_SIGNING_SECRET })
}, 90_000)

afterAll(async () => {
  await offline?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
  await db?.drop()
})

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${offline.httpBase}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init.headers } })
  return { status: res.status, json: (await res.json()) as Record<string, any> }
}

/** Lambda's Invoke API, as `aws lambda invoke` and the SDK call it. */
async function invoke(functionName: string, payload: unknown) {
  const res = await fetch(`${offline.lambdaBase}/2015-03-31/functions/${functionName}/invocations`, { method: 'POST', body: JSON.stringify(payload) })
  return { status: res.status, functionError: res.headers.get('x-amz-function-error'), body: (await res.json()) as Record<string, any> }
}

describe('the Lambda artifacts under serverless-offline', () => {
  it('serves /health, register, login and an authenticated route through API Gateway events', async () => {
    expect(await call('/health')).toEqual({ status: 200, json: { status: 'ok' } })
    const credentials = { email: 'offline@example.com', password: 'a long enough password' }
    const registered = await call('/v1/auth/register', { method: 'POST', body: JSON.stringify(credentials) })
    expect(registered.status).toBe(201)
    const login = await call('/v1/auth/login', { method: 'POST', body: JSON.stringify(credentials) })
    expect(login.status).toBe(200)
    const me = await call('/v1/me', { headers: { authorization: `Bearer ${login.json.apiKey}` } })
    expect([me.status, me.json.email]).toEqual([200, 'offline@example.com'])
    const bad = await call('/v1/auth/register', { method: 'POST', body: '{"email":' })
    expect([bad.status, bad.json.error.code]).toEqual([400, 'bad_request'])
    // zod's own English messages survive the bundle's locale trimming.
    const invalid = await call('/v1/auth/register', { method: 'POST', body: '{"email":5}' })
    expect(invalid.json.error).toMatchObject({ code: 'validation_failed', details: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/expected string/i) })]) })
  }, 60_000)

  it('reports the unresolved queue URL as a disabled queue, not as a failure', async () => {
    const ready = await call('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
    expect(ready.status).toBe(200)
    expect(ready.json.queue).toEqual({ enabled: false, transport: 'none', reason: expect.stringMatching(/^SQS_QUEUE_URL is not an http\(s\) URL \(got "\[object Object\]"\): queue disabled/) })
    expect(offline.output()).toMatch(/"level":"warn","msg":"SQS_QUEUE_URL is not an http\(s\) URL/)
  })

  it('runs a scheduled task through the tasks function, and fails the invocation of an unknown one', async () => {
    // Its latest occurrence (03:30 UTC daily): deployed, the ledger answers for the last 30 days only.
    const occurrence = new Date(Date.now() - 3.5 * 3600_000)
    occurrence.setUTCHours(3, 30, 0, 0)
    const ran = await invoke('lowtide-local-tasks', scheduleInput('ledger-cleanup', occurrence.toISOString()))
    expect(ran).toMatchObject({ status: 200, functionError: null, body: { task: 'ledger-cleanup', ok: true, body: { status: 'succeeded', scheduledAt: occurrence.toISOString() } } })
    const runs = await db.observer.query(`SELECT task, status, trigger FROM task_runs WHERE task = 'ledger-cleanup'`)
    expect(runs.rows).toEqual([{ task: 'ledger-cleanup', status: 'succeeded', trigger: 'eventbridge' }])
    const unknown = await invoke('lowtide-local-tasks', scheduleInput('no-such-task'))
    expect(unknown.functionError).toBe('Unhandled')
    expect(unknown.body.errorMessage).toMatch(/scheduled task no-such-task failed: 404 unknown_task/)
  }, 60_000)
})
