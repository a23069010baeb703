import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
const apps: TestApp[] = []
const open = (...args: Parameters<typeof testApp>) => {
  const t = testApp(...args)
  apps.push(t)
  return t
}
beforeAll(async () => {
  db = await freshDatabase()
})
afterAll(async () => {
  await Promise.all(apps.map((t) => t.close()))
  await db.drop()
})

describe('rate limits in Postgres', () => {
  it('hold exactly across two app instances with separate pools', async () => {
    const env = { RATE_LIMIT_API: '25/15m', DB_POOL_MAX: '4' }
    const [a, b] = [open(db.url, env, '198.51.100.1'), open(db.url, env, '198.51.100.1')]
    const u = await seedUser(db.observer)
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call(i % 2 ? a : b, '/v1/me', { headers: u.auth }).then((r) => r.status)),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(25)
    expect(statuses.filter((s) => s === 429)).toHaveLength(35)
    // Both instances did database work (over HTTP with neon-http: no connection acquired at all).
    if (!a.connections.statements) {
      expect(a.connections.stats().acquires).toBeGreaterThan(0)
      expect(b.connections.stats().acquires).toBeGreaterThan(0)
    }
    // Another IP has its own window.
    const elsewhere = open(db.url, env, '198.51.100.2')
    expect((await call(elsewhere, '/v1/me', { headers: u.auth })).status).toBe(200)
  })

  it('sends RateLimit-* headers, and Retry-After with the 429', async () => {
    const t = open(db.url, { RATE_LIMIT_API: '2/1m' }, '198.51.100.3')
    const first = await call(t, '/v1/auth/keys')
    expect(first.status).toBe(401) // rate limiting comes before authentication
    expect(first.headers.get('ratelimit-limit')).toBe('2')
    expect(first.headers.get('ratelimit-remaining')).toBe('1')
    await call(t, '/v1/auth/keys')
    const limited = await call(t, '/v1/auth/keys')
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } })
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(limited.headers.get('ratelimit-remaining')).toBe('0')
    // Outside /v1 nothing is limited.
    expect((await call(t, '/health')).status).toBe(200)
  })

  it('limits auth endpoints per IP, and campaign creation and start per user', async () => {
    const t = open(db.url, { RATE_LIMIT_AUTH: '3/15m', RATE_LIMIT_CAMPAIGN_CREATE: '2/1h', RATE_LIMIT_CAMPAIGN_START: '1/1m' }, '198.51.100.4')
    const logins = []
    for (let i = 0; i < 5; i++) logins.push((await call(t, '/v1/auth/login', json({ email: 'x@example.com', password: 'wrong' }))).status)
    expect(logins).toEqual([401, 401, 401, 429, 429])

    const [u, v] = [await seedUser(db.observer), await seedUser(db.observer)]
    await db.observer.query(`INSERT INTO contacts (user_id, email) VALUES ($1, 'c@example.com')`, [u.id])
    const create = (who: typeof u) => call(t, '/v1/campaigns', json({ name: 'n', fromEmail: 'a@example.com', subject: 's', body: 'b', allContacts: true }, who.auth))
    const created = [await create(u), await create(u), await create(u)]
    expect(created.map((r) => r.status)).toEqual([201, 201, 429])
    expect((await create(v)).status).toBe(201) // per user, not per IP
    const start = (id: string) => call(t, `/v1/campaigns/${id}/start`, { method: 'POST', headers: u.auth })
    expect((await start(created[0]!.body.id)).status).toBe(200)
    expect((await start(created[1]!.body.id)).status).toBe(429)
  })

  it('fails closed on auth endpoints and open elsewhere when the store cannot answer', async () => {
    const t = open(db.url, { RATE_LIMIT_AUTH: '5/15m', RATE_LIMIT_API: '100/15m' }, '198.51.100.5')
    const u = await seedUser(db.observer)
    await db.observer.query(`ALTER TABLE rate_limits RENAME TO rate_limits_away`)
    try {
      const login = await call(t, '/v1/auth/login', json({ email: 'x@example.com', password: 'whatever' }))
      expect(login).toMatchObject({ status: 503, body: { error: { code: 'rate_limit_unavailable' } } })
      expect(login.headers.get('retry-after')).toBe('5')
      expect((await call(t, '/v1/me', { headers: u.auth })).status).toBe(200)
      expect(t.logger.records.some((r) => r.msg.startsWith('rate limit check failed'))).toBe(true)
    } finally {
      await db.observer.query(`ALTER TABLE rate_limits_away RENAME TO rate_limits`)
    }
  })

  it('takes the client IP from X-Forwarded-For only as far as TRUST_PROXY_HOPS allows', async () => {
    const u = await seedUser(db.observer)
    const direct = open(db.url, { RATE_LIMIT_API: '1/15m' }, '192.0.2.50')
    const behindOne = open(db.url, { RATE_LIMIT_API: '1/15m', TRUST_PROXY_HOPS: '1' }, '192.0.2.51')
    const spoof = (ip: string) => ({ headers: { ...u.auth, 'x-forwarded-for': `${ip}, 203.0.113.${Math.floor(Math.random() * 200)}` } })
    // Without trusted proxies a forged header changes nothing: same socket address, same window.
    expect((await call(direct, '/v1/me', spoof('1.1.1.1'))).status).toBe(200)
    expect((await call(direct, '/v1/me', spoof('2.2.2.2'))).status).toBe(429)
    // Behind one proxy, the address it appended (rightmost) is the client; the forged left part is ignored.
    const viaProxy = (proxySaw: string, forged: string) => ({ headers: { ...u.auth, 'x-forwarded-for': `${forged}, ${proxySaw}` } })
    expect((await call(behindOne, '/v1/me', viaProxy('203.0.113.77', '1.1.1.1'))).status).toBe(200)
    expect((await call(behindOne, '/v1/me', viaProxy('203.0.113.77', '9.9.9.9'))).status).toBe(429)
    expect((await call(behindOne, '/v1/me', viaProxy('203.0.113.78', '1.1.1.1'))).status).toBe(200)
  })
})
