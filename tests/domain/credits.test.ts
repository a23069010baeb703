import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RequestScope } from '../../src/db/scope.js'
import { consumeCredits, InsufficientCreditsError } from '../../src/domain/credits/service.js'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url, { DB_POOL_MAX: '10' })
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

describe('credits', () => {
  it('shows the balance; admins grant and refund; the ledger explains every change', async () => {
    const u = await seedUser(db.observer)
    const admin = await seedUser(db.observer, { role: 'admin' })
    expect(await call(t, '/v1/credits', { headers: u.auth })).toMatchObject({ status: 200, body: { balance: 0, lowCreditThreshold: 10, low: true } })

    const grant = await call(t, `/v1/admin/users/${u.id}/credits`, json({ kind: 'grant', amount: 50, reason: 'welcome' }, admin.auth))
    expect(grant).toMatchObject({ status: 201, body: { kind: 'grant', amount: 50, balanceAfter: 50, reason: 'welcome' } })
    await call(t, `/v1/admin/users/${u.id}/credits`, json({ kind: 'refund', amount: 5 }, admin.auth))
    expect((await call(t, '/v1/credits', { headers: u.auth })).body).toEqual({ balance: 55, lowCreditThreshold: 10, low: false })

    const ledger = await call(t, '/v1/credits/transactions', { headers: u.auth })
    expect(ledger.body.items.map((x: { kind: string; balanceAfter: number }) => [x.kind, x.balanceAfter])).toEqual([['refund', 55], ['grant', 50]])
    expect(ledger.body.nextCursor).toBeNull()
  })

  it('only admins adjust credits; an unknown user is a 404', async () => {
    const u = await seedUser(db.observer)
    expect((await call(t, `/v1/admin/users/${u.id}/credits`, json({ kind: 'grant', amount: 1 }, u.auth))).status).toBe(403)
    const admin = await seedUser(db.observer, { role: 'admin' })
    expect((await call(t, '/v1/admin/users/00000000-0000-4000-8000-000000000000/credits', json({ kind: 'grant', amount: 1 }, admin.auth))).status).toBe(404)
    expect((await call(t, `/v1/admin/users/${u.id}/credits`, json({ kind: 'consume', amount: 1 }, admin.auth))).status).toBe(400)
    expect((await call(t, `/v1/admin/users/${u.id}/credits`, json({ kind: 'grant', amount: 0 }, admin.auth))).status).toBe(400)
  })

  it('sets the low-credit threshold', async () => {
    const u = await seedUser(db.observer, { credits: 3 })
    const res = await call(t, '/v1/credits/threshold', json({ threshold: 2 }, u.auth, 'PUT'))
    expect(res.body).toEqual({ balance: 3, lowCreditThreshold: 2, low: false })
    expect((await call(t, '/v1/credits/threshold', json({ threshold: -1 }, u.auth, 'PUT'))).status).toBe(400)
  })

  it('never goes negative under 50 concurrent consumers: exactly the balance is consumed', async () => {
    const u = await seedUser(db.observer, { credits: 20 })
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, i) => {
        const scope = new RequestScope(t.connections, () => 'test consume')
        try {
          return await consumeCredits(scope, u.id, 1, `email-${i}`)
        } finally {
          await scope.end()
        }
      }),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r) => r.status === 'rejected')
    expect(ok).toHaveLength(20)
    expect(refused.every((r) => (r as PromiseRejectedResult).reason instanceof InsufficientCreditsError)).toBe(true)
    const { rows } = await db.observer.query(
      `SELECT u.credit_balance::int AS balance, count(t.*)::int AS consumed, min(t.balance_after)::int AS lowest
       FROM users u LEFT JOIN credit_transactions t ON t.user_id = u.id AND t.kind = 'consume' WHERE u.id = $1 GROUP BY u.id`,
      [u.id],
    )
    expect(rows[0]).toEqual({ balance: 0, consumed: 20, lowest: 0 })
  })

  it('is enforced by the database itself, not only by the code', async () => {
    const u = await seedUser(db.observer, { credits: 1 })
    await expect(db.observer.query(`UPDATE users SET credit_balance = credit_balance - 2 WHERE id = $1`, [u.id])).rejects.toMatchObject({ code: '23514' })
  })
})
