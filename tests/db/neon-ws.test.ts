/** DB_DRIVER=neon-ws: Neon's serverless driver over WebSocket, through a local proxy to the test Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, waitFor, type TestDatabase } from '../helpers/db.js'
import { startNeonProxy, type NeonProxy } from '../../tools/lib/neon-proxy.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let proxy: NeonProxy
let t: TestApp
beforeAll(async () => {
  db = await freshDatabase()
  proxy = await startNeonProxy()
  t = testApp(db.url, { DB_DRIVER: 'neon-ws', NEON_WS_PROXY: proxy.template, NEON_WS_INSECURE: '1', REQUEST_TIMEOUT_MS: '1000' })
})
afterAll(async () => {
  await t.close()
  await proxy.stop()
  await db.drop()
})

describe('DB_DRIVER=neon-ws', () => {
  it('serves the API over WebSocket connections, one per request, none left after it', async () => {
    const before = proxy.connections
    const u = await seedUser(db.observer, { credits: 3 })
    const contact = await call(t, '/v1/contacts', json({ email: 'ws@example.com', firstName: 'Web' }, u.auth))
    expect(contact.status).toBe(201)
    // A transaction with several statements (create campaign: insert, steps, targets).
    const campaign = await call(t, '/v1/campaigns', json({ name: 'ws', fromEmail: 'a@example.com', subject: 's', body: 'b', allContacts: true }, u.auth))
    expect(campaign).toMatchObject({ status: 201, body: { contactCount: 1 } })
    const started = await call(t, `/v1/campaigns/${campaign.body.id}/start`, { method: 'POST', headers: u.auth })
    expect(started.body.stats.pending).toBe(1)
    expect(proxy.connections - before).toBe(3) // one WebSocket per request
    expect(t.config.db.mode).toBe('per-request')
    await waitFor(async () => (await db.connections(t.config.db.applicationName)).length === 0, 2000)
  })

  it('rolls back a failed transaction and reports errors as with pg', async () => {
    const u = await seedUser(db.observer)
    const other = await seedUser(db.observer)
    const theirs = await call(t, '/v1/contacts', json({ email: 'theirs@example.com' }, other.auth))
    const res = await call(t, '/v1/campaigns', json({ name: 'x', fromEmail: 'a@example.com', subject: 's', body: 'b', contactIds: [theirs.body.id] }, u.auth))
    expect(res.body.error.code).toBe('unknown_contacts')
    const { rows } = await db.observer.query(`SELECT count(*)::int AS n FROM campaigns WHERE user_id = $1`, [u.id])
    expect(rows[0].n).toBe(0)
    expect((await call(t, '/v1/contacts', json({ email: 'theirs@example.com' }, other.auth))).status).toBe(409)
  })

  it('cancels a statement past the request timeout and leaves no connection', async () => {
    const slow = testApp(db.url, { DB_DRIVER: 'neon-ws', NEON_WS_PROXY: proxy.template, NEON_WS_INSECURE: '1', REQUEST_TIMEOUT_MS: '500' })
    slow.app.get('/test/sleep', async (c) => c.json((await c.get('db').query('SELECT pg_sleep(20)')).rows))
    const started = performance.now()
    const res = await slow.app.request('/test/sleep')
    expect(res.status).toBe(504)
    expect(performance.now() - started).toBeLessThan(3000)
    await waitFor(async () => (await db.connections(slow.config.db.applicationName)).length === 0, 3000)
    await slow.close()
  })
})
