import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, testApp, TEST_OPS_TOKEN, type TestApp } from '../helpers/app.js'
import { freshDatabase, waitFor, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url, { BODY_LIMIT_BYTES: '4096' })
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

const bodyOf = async (res: Response) => ({ status: res.status, body: (await res.json()) as any })

describe('routing', () => {
  it('compiles every route into Hono’s RegExpRouter (one regex match per request, not a trie walk)', async () => {
    await t.app.request('/health')
    // SmartRouter falls back to the slower TrieRouter when a route is ambiguous to RegExpRouter,
    // e.g. a static `/users/me` beside `/users/:id`.
    expect((t.app.router as unknown as { activeRouter: { name: string } }).activeRouter.name).toBe('RegExpRouter')
  })
})

describe('GET /health', () => {
  it('answers ok without touching the database', async () => {
    const res = await t.app.request('/health')
    expect(await bodyOf(res)).toEqual({ status: 200, body: { status: 'ok' } })
    expect(t.connections.stats().acquires).toBe(0)
  })
})

describe('users', () => {
  it('shows a user to themself and to an admin, and is a 404 to anyone else', async () => {
    const ada = await seedUser(db.observer, { email: 'ada@example.com' })
    const bob = await seedUser(db.observer)
    const admin = await seedUser(db.observer, { role: 'admin' })
    const me = await bodyOf(await t.app.request('/v1/me', { headers: ada.auth }))
    expect(me).toMatchObject({ status: 200, body: { id: ada.id, email: 'ada@example.com', role: 'user', emailVerified: true } })
    expect(await bodyOf(await t.app.request(`/v1/users/${ada.id}`, { headers: ada.auth }))).toEqual(me)
    expect(await bodyOf(await t.app.request(`/v1/users/${ada.id}`, { headers: admin.auth }))).toEqual(me)
    const other = await bodyOf(await t.app.request(`/v1/users/${ada.id}`, { headers: bob.auth }))
    const unknown = await bodyOf(await t.app.request('/v1/users/00000000-0000-4000-8000-000000000000', { headers: bob.auth }))
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    expect(unknown).toEqual(other)
  })

  it('answers 400 for a malformed id and 401 without a key', async () => {
    const u = await seedUser(db.observer)
    const malformed = await bodyOf(await t.app.request('/v1/users/not-a-uuid', { headers: u.auth }))
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.details[0].path).toBe('id')
    expect((await t.app.request(`/v1/users/${u.id}`)).status).toBe(401)
  })
})

describe('bad input never gives a 500', () => {
  let auth: Record<string, string>
  beforeAll(async () => {
    auth = (await seedUser(db.observer)).auth
  })
  const cases: [string, () => RequestInit, number, string][] = [
    ['malformed JSON', () => json('{"email": ', auth), 400, 'bad_request'],
    ['a JSON array', () => json('[1,2]', auth), 400, 'validation_failed'],
    ['a wrong type', () => json({ email: 42 }, auth), 400, 'validation_failed'],
    ['a missing field', () => json({ firstName: 'x' }, auth), 400, 'validation_failed'],
    ['an invalid email', () => json({ email: 'not-an-email' }, auth), 400, 'validation_failed'],
    ['an unknown field', () => json({ email: 'u@example.com', admin: true }, auth), 400, 'validation_failed'],
    ['a name of the wrong type', () => json({ email: 'u@example.com', firstName: ['x'] }, auth), 400, 'validation_failed'],
    ['no content type', () => ({ method: 'POST', headers: auth, body: '{"email":"v@example.com"}' }), 400, 'validation_failed'],
    ['a body over the limit', () => json({ email: 'big@example.com', firstName: 'x'.repeat(10_000) }, auth), 413, 'payload_too_large'],
  ]
  it.each(cases)('%s → %i %s', async (_label, init, status, code) => {
    const res = await bodyOf(await t.app.request('/v1/contacts', init()))
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
    expect(typeof res.body.error.message).toBe('string')
  })

  it('names the failing fields', async () => {
    const res = await bodyOf(await t.app.request('/v1/contacts', json({ email: 1, firstName: 2 }, auth)))
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['email', 'firstName'])
  })

  it('413s a streamed body over the limit that announced no length', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)))
        controller.close()
      },
    })
    const req = new Request('http://local/v1/contacts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: chunks,
      duplex: 'half',
    } as RequestInit)
    const res = await bodyOf(await t.app.request(req))
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } })
  })

  it('answers JSON 404 for an unknown route or method', async () => {
    for (const [method, path] of [['GET', '/nope'], ['PUT', '/v1/users/00000000-0000-4000-8000-000000000000'], ['PUT', '/health']]) {
      const res = await bodyOf(await t.app.request(path!, { method, headers: auth }))
      expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    }
  })

  it('keeps no connection checked out after all of the above', () => {
    const s = t.connections.stats()
    expect(s.total - s.idle).toBe(0)
    expect(s.waiting).toBe(0)
  })
})

describe('GET /readyz', () => {
  it('asks for credentials (401) and refuses wrong ones (403)', async () => {
    const none = await t.app.request('/readyz')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/)
    const wrong = await t.app.request('/readyz', { headers: { authorization: 'Bearer not-the-token' } })
    expect(wrong.status).toBe(403)
    expect(((await wrong.json()) as any).error.code).toBe('forbidden')
  })

  it('reports pool numbers and this app’s connections to the ops token', async () => {
    const res = await bodyOf(await t.app.request('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }))
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('ok')
    expect(res.body.pools[0]).toMatchObject({ name: t.connections.name, total: expect.any(Number), idle: expect.any(Number), waiting: 0 })
    expect(res.body.pools[0].utilizationPercent).toBeGreaterThanOrEqual(0)
    // The readiness query itself runs on one of this app's connections.
    expect(res.body.connections).toMatchObject({ total: expect.any(Number), active: 1, idleInTransaction: 0 })
    expect(res.body.connections.total).toBeGreaterThanOrEqual(1)
    if (t.config.db.mode === 'pool') {
      expect(res.body.connections.total).toBe((await db.connections(t.config.db.applicationName)).length)
    } else {
      // Connection per request (TEST_DB_DRIVER=neon-ws): the one it used is gone with the request.
      await waitFor(async () => (await db.connections(t.config.db.applicationName)).length === 0, 2000)
    }
  })

  it("shows the server's capacity: this app's connections against DB_CONNECTION_BUDGET and max_connections", async () => {
    const budgeted = testApp(db.url, { DB_CONNECTION_BUDGET: '4' })
    try {
      const res = await bodyOf(await budgeted.app.request('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }))
      const { maxConnections } = (await db.observer.query(`SELECT current_setting('max_connections')::int AS "maxConnections"`)).rows[0]
      expect(res.body.capacity).toMatchObject({ applicationName: budgeted.config.db.applicationName, maxConnections, reservedConnections: expect.any(Number), budget: 4 })
      expect(res.body.capacity.held).toBeGreaterThanOrEqual(1)
      expect(res.body.capacity.budgetPercent).toBe(Math.round((res.body.capacity.held / 4) * 100))
      expect(res.body.capacity.serverConnections).toBeGreaterThanOrEqual(res.body.capacity.held)
      const unbudgeted = await bodyOf(await t.app.request('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }))
      expect(unbudgeted.body.capacity).toMatchObject({ budget: null, budgetPercent: null })
    } finally {
      await budgeted.close()
    }
  })

  it('lets an allow-listed IP in without a token, IPv4 ranges included', async () => {
    const allowed = testApp(db.url, { OPS_ALLOW_IPS: '10.1.0.0/16, 192.0.2.1' }, '10.1.44.2')
    const mapped = testApp(db.url, { OPS_ALLOW_IPS: '192.0.2.1' }, '::ffff:192.0.2.1')
    const outside = testApp(db.url, { OPS_ALLOW_IPS: '10.1.0.0/16' }, '10.2.0.1')
    expect((await allowed.app.request('/readyz')).status).toBe(200)
    expect((await mapped.app.request('/readyz')).status).toBe(200)
    expect((await outside.app.request('/readyz')).status).toBe(401)
    await Promise.all([allowed.close(), mapped.close(), outside.close()])
  })

  it('answers 503 "unavailable" when the database cannot be reached', async () => {
    const down = testApp('postgres://postgres:x@127.0.0.1:1/none', { DB_CONNECT_TIMEOUT_MS: '300' })
    const res = await bodyOf(await down.app.request('/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } }))
    expect(res.status).toBe(503)
    expect(res.body.status).toBe('unavailable')
    const write = await down.app.request('/v1/auth/register', json({ email: 'down@example.com', password: 'long enough password' }))
    expect(write.status).toBe(503)
    expect(write.headers.get('retry-after')).toBe('1')
    await down.close()
  })
})

describe('request timeout', () => {
  it('answers 504 and cancels the statement on the server', async () => {
    const slow = testApp(db.url, { REQUEST_TIMEOUT_MS: '300' })
    slow.app.get('/test/sleep', async (c) => c.json((await c.get('db').query('SELECT pg_sleep(20)')).rows))
    const started = performance.now()
    const res = await bodyOf(await slow.app.request('/test/sleep'))
    expect(res).toMatchObject({ status: 504, body: { error: { code: 'request_timeout' } } })
    expect(performance.now() - started).toBeLessThan(3000)
    // The statement is cancelled on the server: nothing of this app runs any more.
    const running = async () => (await db.connections(slow.config.db.applicationName)).filter((c) => c.state === 'active')
    await waitFor(async () => (await running()).length === 0, 2000)
    expect(await running()).toEqual([])
    if (slow.config.db.driver === 'postgres') {
      // postgres.js ran it as a pooled statement: the cancelled connection is clean and stays pooled, checked out by no one.
      expect(slow.connections.stats()).toMatchObject({ waiting: 0, utilizationPercent: 0 })
    } else {
      // A checked-out connection with a statement cut short is closed, never pooled (a WebSocket's close comes a little later).
      await waitFor(async () => (await db.connections(slow.config.db.applicationName)).length === 0 && slow.connections.stats().total === 0, 2000)
      expect(await db.connections(slow.config.db.applicationName)).toEqual([])
      expect(slow.connections.stats().total).toBe(0)
    }
    await slow.close()
  })
})
