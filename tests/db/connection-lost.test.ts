/**
 * A connection lost in the middle of a request — a failover, a proxy timeout, a killed backend —
 * answers 503 `db_unavailable` with Retry-After (never 500), the broken connection is destroyed, and
 * the next request gets a working one. The network is cut by a fault proxy between app and Postgres
 * while the statement waits on a lock, so the loss happens mid-statement every time. Runs on each
 * connection mode here, and on Neon's drivers under `npm run test:neon` / `test:neon-http`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { lockContacts, proxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-db.js'
import { seedUser, type SeededUser } from '../helpers/users.js'

let target: ProxiedDatabase
let user: SeededUser
let seq = 0

beforeAll(async () => {
  target = await proxiedDatabase()
  user = await seedUser(target.db.observer)
})
afterAll(() => target.close())

describe.each([
  ['pool', {}],
  ['per-request', { DB_CONNECTION_MODE: 'per-request' }],
] as const)('a connection lost mid-request (%s)', (_mode, env) => {
  let t: TestApp
  beforeAll(() => {
    t = testApp(target.url, { ...env, DB_CONNECT_TIMEOUT_MS: '20000' })
  })
  afterAll(() => t.close())
  const addContact = () => call(t, '/v1/contacts', json({ email: `c${++seq}@example.com` }, user.auth))

  it.each(['reset', 'close'] as const)('answers 503 db_unavailable with Retry-After when the connection is %s, then recovers', async (mode) => {
    expect((await addContact()).status).toBe(201)
    const locker = await lockContacts(target.db.url)
    try {
      const waiting = addContact()
      await new Promise((r) => setTimeout(r, 700))
      target.proxy.cut(mode)
      const answer = await waiting
      expect([answer.status, answer.body.error.code, answer.headers.get('retry-after')]).toEqual([503, 'db_unavailable', '1'])
      expect(answer.body.error.message).toMatch(/database/)
    } finally {
      await locker.query('ROLLBACK')
      await locker.end()
    }
    // The broken connection was destroyed, not pooled: the next request gets a working one.
    expect((await addContact()).status).toBe(201)
    expect(t.logger.records.filter((r) => r.msg === 'unhandled error')).toEqual([])
  }, 60_000)
})
