/** The real Worker bundle (as `wrangler deploy` builds it) in workerd through Miniflare, against the test Postgres. */
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWorker, WORKER_BUNDLE } from '../tools/build-worker.js'
import { TEST_OPS_TOKEN } from './helpers/app.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'

let db: TestDatabase
let mf: Miniflare
const appName = uniqueAppName('worker')

beforeAll(async () => {
  db = await freshDatabase()
  buildWorker()
  mf = new Miniflare({
    modules: true,
    scriptPath: WORKER_BUNDLE,
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    bindings: { DATABASE_URL: db.url, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: appName, LOG_LEVEL: 'warn' },
  })
  await mf.ready
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

  it('creates and reads users against Postgres, leaving 0 connections after each request', async () => {
    const created = await call('/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'edge@example.com', name: 'Edge' }),
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ email: 'edge@example.com', name: 'Edge' })
    await noConnectionsLeft()

    const fetched = await call(`/v1/users/${created.json.id}`)
    expect(fetched).toMatchObject({ status: 200, json: created.json })
    await noConnectionsLeft()

    const dup = await call('/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'EDGE@example.com' }) })
    expect(dup.status).toBe(409)
    await noConnectionsLeft()
  })

  it('reports readiness with the ops token and refuses without it', async () => {
    expect((await call('/readyz')).status).toBe(401)
    const ready = await call('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
    expect(ready.status).toBe(200)
    expect(ready.json.pools[0].mode).toBe('per-request')
    expect(ready.json.connections.total).toBe(1)
    await noConnectionsLeft()
  })

  it('turns bad input into 4xx JSON, never a 500', async () => {
    const malformed = await call('/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email"' })
    expect(malformed).toMatchObject({ status: 400, json: { error: { code: 'bad_request' } } })
    const wrongType = await call('/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":5}' })
    expect(wrongType).toMatchObject({ status: 400, json: { error: { code: 'validation_failed' } } })
    const huge = await call('/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.com', name: 'x'.repeat(2_000_000) }) })
    expect(huge).toMatchObject({ status: 413, json: { error: { code: 'payload_too_large' } } })
    expect((await call('/missing')).status).toBe(404)
    await noConnectionsLeft()
  })
})
