import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, testApp, TEST_OPS_TOKEN, type TestApp } from '../helpers/app.js'
import { freshDatabase, waitFor, type TestDatabase } from '../helpers/db.js'

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

describe('GET /health', () => {
  it('answers ok without touching the database', async () => {
    const res = await t.app.request('/health')
    expect(await bodyOf(res)).toEqual({ status: 200, body: { status: 'ok' } })
    expect(t.connections.stats().acquires).toBe(0)
  })
})

describe('users', () => {
  it('creates a user and reads it back', async () => {
    const created = await bodyOf(await t.app.request('/v1/users', json({ email: 'ada@example.com', name: 'Ada' })))
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ email: 'ada@example.com', name: 'Ada' })
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/)
    const fetched = await bodyOf(await t.app.request(`/v1/users/${created.body.id}`))
    expect(fetched).toEqual({ status: 200, body: created.body })
  })

  it('answers 409 for an email already registered, whatever its case', async () => {
    await t.app.request('/v1/users', json({ email: 'grace@example.com' }))
    const dup = await bodyOf(await t.app.request('/v1/users', json({ email: 'Grace@Example.com' })))
    expect(dup.status).toBe(409)
    expect(dup.body.error.code).toBe('email_taken')
    const { rows } = await db.observer.query(`SELECT count(*)::int AS n FROM users WHERE lower(email) = 'grace@example.com'`)
    expect(rows[0].n).toBe(1)
  })

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const missing = await bodyOf(await t.app.request('/v1/users/00000000-0000-4000-8000-000000000000'))
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    const malformed = await bodyOf(await t.app.request('/v1/users/not-a-uuid'))
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.details[0].path).toBe('id')
  })
})

describe('bad input never gives a 500', () => {
  const cases: [string, RequestInit, number, string][] = [
    ['malformed JSON', json('{"email": '), 400, 'bad_request'],
    ['a JSON array', json('[1,2]'), 400, 'validation_failed'],
    ['a wrong type', json({ email: 42 }), 400, 'validation_failed'],
    ['a missing field', json({ name: 'x' }), 400, 'validation_failed'],
    ['an invalid email', json({ email: 'not-an-email' }), 400, 'validation_failed'],
    ['an unknown field', json({ email: 'u@example.com', admin: true }), 400, 'validation_failed'],
    ['a name of the wrong type', json({ email: 'u@example.com', name: ['x'] }), 400, 'validation_failed'],
    ['no content type', { method: 'POST', body: '{"email":"v@example.com"}' }, 400, 'validation_failed'],
    ['a body over the limit', json({ email: 'big@example.com', name: 'x'.repeat(10_000) }), 413, 'payload_too_large'],
  ]
  it.each(cases)('%s → %i %s', async (_label, init, status, code) => {
    const res = await bodyOf(await t.app.request('/v1/users', init))
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
    expect(typeof res.body.error.message).toBe('string')
  })

  it('names the failing fields', async () => {
    const res = await bodyOf(await t.app.request('/v1/users', json({ email: 1, name: 2 })))
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['email', 'name'])
  })

  it('413s a streamed body over the limit that announced no length', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)))
        controller.close()
      },
    })
    const req = new Request('http://local/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit)
    const res = await bodyOf(await t.app.request(req))
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } })
  })

  it('answers JSON 404 for an unknown route or method', async () => {
    for (const [method, path] of [['GET', '/nope'], ['DELETE', '/v1/users/00000000-0000-4000-8000-000000000000'], ['PUT', '/health']]) {
      const res = await bodyOf(await t.app.request(path!, { method }))
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
    expect(res.body.pools[0]).toMatchObject({ name: 'main', total: expect.any(Number), idle: expect.any(Number), waiting: 0 })
    expect(res.body.pools[0].utilizationPercent).toBeGreaterThanOrEqual(0)
    // The readiness query itself runs on one of this app's connections.
    expect(res.body.connections).toMatchObject({ total: expect.any(Number), active: 1, idleInTransaction: 0 })
    expect(res.body.connections.total).toBeGreaterThanOrEqual(1)
    expect(res.body.connections.total).toBe((await db.connections(t.config.db.applicationName)).length)
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
    const write = await down.app.request('/v1/users', json({ email: 'down@example.com' }))
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
    await waitFor(async () => (await db.connections(slow.config.db.applicationName)).length === 0, 2000)
    expect(slow.connections.stats().total).toBe(0)
    await slow.close()
  })
})
