import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '../../src/domain/accounts/password.js'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url)
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

const password = 'correct horse battery'
const register = (email: string, extra: Record<string, unknown> = {}) => call(t, '/v1/auth/register', json({ email, password, ...extra }))
const login = (email: string, pw = password, keyName?: string) => call(t, '/v1/auth/login', json({ email, password: pw, ...(keyName ? { keyName } : {}) }))
const tokenFor = async (email: string) => {
  const { rows } = await db.observer.query<{ body: string }>(
    `SELECT body FROM sent_emails WHERE kind = 'verification' AND lower(to_email) = lower($1) ORDER BY id DESC LIMIT 1`,
    [email],
  )
  return /^\s{2}(\S+)$/m.exec(rows[0]!.body)![1]!
}

describe('POST /v1/auth/register', () => {
  it('creates an unverified user, stores only a PBKDF2 hash, and emails a verification token', async () => {
    const res = await register('ada@example.com', { name: 'Ada' })
    expect(res).toMatchObject({ status: 201, body: { user: { email: 'ada@example.com', name: 'Ada', role: 'user', emailVerified: false } } })
    const { rows } = await db.observer.query(`SELECT password_hash FROM users WHERE email = 'ada@example.com'`)
    expect(rows[0].password_hash).toMatch(/^pbkdf2_sha256\$1000\$/)
    expect(rows[0].password_hash).not.toContain(password)
    expect(await tokenFor('ada@example.com')).toMatch(/^[A-Za-z0-9_-]{40,}$/)
  })

  it('answers 409 for an email already registered in any case, and keeps one user', async () => {
    await register('grace@example.com')
    const dup = await register('GRACE@example.com')
    expect(dup).toMatchObject({ status: 409, body: { error: { code: 'email_taken' } } })
    const { rows } = await db.observer.query(`SELECT count(*)::int AS n FROM users WHERE lower(email) = 'grace@example.com'`)
    expect(rows[0].n).toBe(1)
  })

  it.each([
    ['a short password', { email: 'x@example.com', password: 'short' }, 'password'],
    ['a bad email', { email: 'nope', password }, 'email'],
    ['an unknown field', { email: 'x@example.com', password, role: 'admin' }, '(root)'],
  ])('rejects %s with 400 naming the field', async (_label, body, field) => {
    const res = await call(t, '/v1/auth/register', json(body))
    expect(res.status).toBe(400)
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field)
  })
})

describe('POST /v1/auth/verify-email', () => {
  it('verifies with the emailed token once; reuse and unknown tokens are 400', async () => {
    await register('lin@example.com')
    const token = await tokenFor('lin@example.com')
    const ok = await call(t, '/v1/auth/verify-email', json({ token }))
    expect(ok).toMatchObject({ status: 200, body: { user: { email: 'lin@example.com', emailVerified: true } } })
    expect((await call(t, '/v1/auth/verify-email', json({ token }))).body.error.code).toBe('invalid_token')
    expect((await call(t, '/v1/auth/verify-email', json({ token: 'x'.repeat(43) }))).status).toBe(400)
  })

  it('refuses an expired token', async () => {
    await register('old@example.com')
    const token = await tokenFor('old@example.com')
    await db.observer.query(`UPDATE email_verifications SET expires_at = now() - interval '1 second'`)
    expect((await call(t, '/v1/auth/verify-email', json({ token }))).status).toBe(400)
  })
})

describe('login and API keys', () => {
  it('logs in with the right password and the key authenticates', async () => {
    await register('kai@example.com')
    const res = await login('KAI@example.com', password, 'laptop')
    expect(res.status).toBe(200)
    expect(res.body.apiKey).toMatch(/^lt_[A-Za-z0-9_-]{43}$/)
    expect(res.body.key).toMatchObject({ name: 'laptop', prefix: res.body.apiKey.slice(0, 11), revokedAt: null })
    const me = await call(t, '/v1/me', { headers: { authorization: `Bearer ${res.body.apiKey}` } })
    expect(me).toMatchObject({ status: 200, body: { email: 'kai@example.com' } })
    // Only a hash of the key is stored.
    const { rows } = await db.observer.query(`SELECT count(*)::int AS n FROM api_keys WHERE encode(key_hash, 'escape') LIKE '%' || $1 || '%'`, [res.body.apiKey])
    expect(rows[0].n).toBe(0)
  })

  it('answers the same 401 for a wrong password and an unknown email', async () => {
    await register('mo@example.com')
    const wrong = await login('mo@example.com', 'not the password')
    const unknown = await login('nobody@example.com')
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'invalid_credentials' } } })
    expect(unknown.body).toEqual(wrong.body)
  })

  it('lists, creates and revokes keys; a revoked key stops working; another user’s key is a 404', async () => {
    const u = await seedUser(db.observer)
    const other = await seedUser(db.observer)
    const created = await call(t, '/v1/auth/keys', json({ name: 'ci' }, u.auth))
    expect(created.status).toBe(201)
    const second = { authorization: `Bearer ${created.body.apiKey}` }
    const list = await call(t, '/v1/auth/keys', { headers: second })
    expect(list.body.items.map((k: { name: string }) => k.name).sort()).toEqual(['ci', 'test'])
    expect(JSON.stringify(list.body)).not.toContain(created.body.apiKey)

    expect((await call(t, `/v1/auth/keys/${created.body.key.id}`, { method: 'DELETE', headers: other.auth })).status).toBe(404)
    const revoked = await call(t, `/v1/auth/keys/${created.body.key.id}`, { method: 'DELETE', headers: u.auth })
    expect(revoked.body.key.revokedAt).not.toBeNull()
    expect(await call(t, '/v1/me', { headers: second })).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key' } } })
    expect((await call(t, '/v1/me', { headers: u.auth })).status).toBe(200)
  })

  it.each([
    ['no header', {}, 'unauthorized'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'invalid_api_key'],
    ['a malformed key', { authorization: 'Bearer lt_short' }, 'invalid_api_key'],
    ['an unknown key', { authorization: `Bearer lt_${'A'.repeat(43)}` }, 'invalid_api_key'],
  ])('answers 401 for %s', async (_label, headers, code) => {
    const res = await call(t, '/v1/contacts', { headers })
    expect(res).toMatchObject({ status: 401, body: { error: { code } } })
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })
})

describe('password hashing', () => {
  it('verifies at the production iteration count (the Workers cap) and rejects tampering', async () => {
    const stored = await hashPassword('s3cret password', 100_000)
    expect(stored.startsWith('pbkdf2_sha256$100000$')).toBe(true)
    expect(await verifyPassword('s3cret password', stored)).toBe(true)
    expect(await verifyPassword('s3cret passworD', stored)).toBe(false)
    expect(await verifyPassword('s3cret password', stored.replace('100000', '100001'))).toBe(false)
    expect(await verifyPassword('s3cret password', 'md5$abc')).toBe(false)
  })
})
