import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url, { ADMIN_STATS_TIMEOUT_MS: '300' })
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

describe('GET /v1/admin/stats', () => {
  it('is for admins only', async () => {
    const u = await seedUser(db.observer)
    expect(await call(t, '/v1/admin/stats', { headers: u.auth })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } })
    expect((await call(t, '/v1/admin/stats')).status).toBe(401)
  })

  it('reports users, campaigns, emails per day and backlog', async () => {
    const admin = await seedUser(db.observer, { role: 'admin', credits: 7 })
    await db.observer.query(
      `INSERT INTO sent_emails (message_id, kind, to_email, from_email, subject, body, created_at)
       SELECT 'm' || g, 'campaign', 'x@example.com', 'y@example.com', 's', 'b', now() - (g % 3) * interval '1 day' - interval '1 minute'
       FROM generate_series(1, 9) g`,
    )
    const res = await call(t, '/v1/admin/stats', { headers: admin.auth })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ degraded: false, failures: [], campaigns: { draft: 0 }, backlog: { emailsDue: 0 } })
    expect(res.body.users.admins).toBe(1)
    expect(res.body.emailsPerDay.map((d: { sent: number }) => d.sent)).toEqual([3, 3, 3])
  })

  it('still answers, degraded, when one probe times out, with what did work', async () => {
    const admin = await seedUser(db.observer, { role: 'admin' })
    const locker = new pg.Client({ connectionString: db.url })
    await locker.connect()
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE')
      const res = await call(t, '/v1/admin/stats', { headers: admin.auth })
      expect(res.status).toBe(200)
      expect(res.body.degraded).toBe(true)
      expect(res.body.campaigns).toBeNull()
      expect(res.body.failures).toEqual([{ probe: 'campaigns', error: expect.stringMatching(/statement timeout/) }])
      expect(res.body.users.total).toBeGreaterThan(0)
      expect(res.body.backlog).not.toBeNull()
    } finally {
      await locker.query('ROLLBACK')
      await locker.end()
    }
  })

  it('lists users with balances for admins', async () => {
    const admin = await seedUser(db.observer, { role: 'admin' })
    const res = await call(t, '/v1/admin/users?limit=100', { headers: admin.auth })
    expect(res.body.items.find((u: { id: string }) => u.id === admin.id)).toMatchObject({ role: 'admin', creditBalance: 0 })
  })
})
