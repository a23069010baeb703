/** The Worker's other ways to Postgres, in workerd: a Hyperdrive binding, Neon's driver over WebSocket and over HTTP, and postgres.js. */
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_OPS_TOKEN } from './helpers/app.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'
import { startNeonHttpServer, type NeonHttpServer } from '../tools/lib/neon-http-server.js'
import { startNeonProxy, type NeonProxy } from '../tools/lib/neon-proxy.js'
import { seedUser } from './helpers/users.js'
import { startWorker } from './helpers/worker.js'

let db: TestDatabase
let proxy: NeonProxy
let http: NeonHttpServer
const workers: Miniflare[] = []
beforeAll(async () => {
  db = await freshDatabase()
  proxy = await startNeonProxy()
  http = await startNeonHttpServer()
})
afterAll(async () => {
  for (const mf of workers) await mf.dispose()
  await proxy.stop()
  await http.stop()
  await db.drop()
})

async function exercise(mf: Miniflare, appName: string) {
  const u = await seedUser(db.observer)
  const created = await mf.dispatchFetch('http://localhost/v1/contacts', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...u.auth },
    body: JSON.stringify({ email: `${appName}@example.com` }),
  })
  expect(created.status).toBe(201)
  const campaign = await mf.dispatchFetch('http://localhost/v1/campaigns', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...u.auth },
    body: JSON.stringify({ name: 'd', fromEmail: 'a@example.com', subject: 's', body: 'b', allContacts: true }),
  })
  expect(((await campaign.json()) as { contactCount: number }).contactCount).toBe(1) // a transaction
  await waitFor(async () => (await db.connections(appName)).length === 0, 3000, 20)
}

describe('Worker database drivers', () => {
  it('connects through a Hyperdrive binding (no DATABASE_URL), leaving 0 connections', async () => {
    const appName = uniqueAppName('hyperdrive')
    const mf = await startWorker({ DB_APPLICATION_NAME: appName }, { hyperdrives: { HYPERDRIVE: db.url } })
    workers.push(mf)
    await exercise(mf, appName)
  }, 60_000)

  it('runs DB_DRIVER=postgres (postgres.js over cloudflare:sockets) inside workerd, a connection per request, leaving 0', async () => {
    const appName = uniqueAppName('postgres-js')
    const mf = await startWorker({ DATABASE_URL: db.url, DB_APPLICATION_NAME: appName, DB_DRIVER: 'postgres', OPS_TOKEN: TEST_OPS_TOKEN })
    workers.push(mf)
    await exercise(mf, appName)
    const ready = (await (await mf.dispatchFetch('http://localhost/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).json()) as { pools: { name: string; mode: string }[] }
    expect(ready.pools).toMatchObject([{ name: 'postgres', mode: 'per-request' }])
  }, 60_000)

  it('runs DB_DRIVER=neon-ws inside workerd through the WebSocket proxy', async () => {
    const appName = uniqueAppName('neon-ws')
    const before = proxy.connections
    const mf = await startWorker({ DATABASE_URL: db.url, DB_APPLICATION_NAME: appName, DB_DRIVER: 'neon-ws', NEON_WS_PROXY: proxy.template, NEON_WS_INSECURE: '1' })
    workers.push(mf)
    await exercise(mf, appName)
    expect(proxy.connections - before).toBeGreaterThanOrEqual(2)
  }, 60_000)

  it('runs DB_DRIVER=neon-http inside workerd: statements over HTTP, the transaction over WebSocket', async () => {
    const appName = uniqueAppName('neon-http')
    const before = { http: http.requests, ws: proxy.connections }
    const mf = await startWorker({
      DATABASE_URL: db.url,
      DB_APPLICATION_NAME: appName,
      DB_DRIVER: 'neon-http',
      NEON_HTTP_ENDPOINT: http.endpoint,
      NEON_WS_PROXY: proxy.template,
      NEON_WS_INSECURE: '1',
    })
    workers.push(mf)
    await exercise(mf, appName)
    expect(http.requests - before.http).toBeGreaterThanOrEqual(3) // auth lookups, the contact insert, the read-back
    expect(proxy.connections - before.ws).toBe(1) // the campaign's transaction only
  }, 60_000)
})
