import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTemplate, templateProblems } from '../../src/domain/campaigns/template.js'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { StatementLog } from '../helpers/statements.js'
import { seedUser, type SeededUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
const log = new StatementLog()
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url, {}, undefined, log.wrap)
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

const draft = (extra: Record<string, unknown> = {}) => ({
  name: 'Launch',
  fromEmail: 'founder@example.com',
  subject: 'Hi {{firstName|there}}',
  body: 'Hello {{firstName}} from {{company}} ({{fields.plan}})',
  ...extra,
})

async function withContacts(u: SeededUser, n: number): Promise<string[]> {
  const { rows } = await db.observer.query<{ id: string }>(
    `INSERT INTO contacts (user_id, email, first_name) SELECT $1, 'c' || g || '@example.com', 'N' || g FROM generate_series(1, $2) g RETURNING id`,
    [u.id, n],
  )
  return rows.map((r) => r.id)
}

const act = (u: SeededUser, id: string, action: string) => call(t, `/v1/campaigns/${id}/${action}`, { method: 'POST', headers: u.auth })

describe('campaigns', () => {
  it('creates a draft with follow-up steps and targets, and reads it back', async () => {
    const u = await seedUser(db.observer)
    const ids = await withContacts(u, 3)
    const res = await call(t, '/v1/campaigns', json(draft({ contactIds: ids, followUps: [{ delayMinutes: 60 * 24 }, { delayMinutes: 120, onlyIfNoReply: false, subject: 'Last try' }] }), u.auth))
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ status: 'draft', contactCount: 3, stats: { total: 0 } })
    expect(res.body.steps).toEqual([
      { position: 1, delayMinutes: 0, onlyIfNoReply: false, subject: null, body: null },
      { position: 2, delayMinutes: 1440, onlyIfNoReply: true, subject: null, body: null },
      { position: 3, delayMinutes: 120, onlyIfNoReply: false, subject: 'Last try', body: null },
    ])
    expect((await call(t, `/v1/campaigns/${res.body.id}`, { headers: u.auth })).body).toEqual(res.body)
  })

  it.each([
    ['an unknown merge field', { subject: 'Hi {{firstname}}' }, 'subject'],
    ['an unclosed merge field', { body: 'Hi {{firstName' }, 'body'],
    ['a bad sender', { fromEmail: 'me' }, 'fromEmail'],
    ['both targetings', { contactIds: [], allContacts: true }, 'allContacts'],
    ['a follow-up without delay', { followUps: [{ onlyIfNoReply: true }] }, 'followUps.0.delayMinutes'],
    ['a bad start time', { startAt: 'tomorrow' }, 'startAt'],
  ])('rejects %s with 400 naming the field', async (_label, extra, field) => {
    const u = await seedUser(db.observer)
    const res = await call(t, '/v1/campaigns', json(draft(extra), u.auth))
    expect(res.status).toBe(400)
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field)
  })

  it('refuses contacts that are not the user’s', async () => {
    const a = await seedUser(db.observer)
    const b = await seedUser(db.observer)
    const [theirs] = await withContacts(b, 1)
    const res = await call(t, '/v1/campaigns', json(draft({ contactIds: [theirs] }), a.auth))
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'unknown_contacts' } } })
    const { rows } = await db.observer.query(`SELECT count(*)::int AS n FROM campaigns WHERE user_id = $1`, [a.id])
    expect(rows[0].n).toBe(0) // the transaction rolled back
  })

  it('walks the state machine and answers 409 to every illegal move', async () => {
    const u = await seedUser(db.observer)
    await withContacts(u, 2)
    const { body: c } = await call(t, '/v1/campaigns', json(draft({ allContacts: true }), u.auth))
    const expectMove = async (action: string, status: number, to?: string) => {
      const res = await act(u, c.id, action)
      expect([action, res.status]).toEqual([action, status])
      if (to) expect(res.body.status).toBe(to)
      else expect(res.body.error.code).toBe('illegal_transition')
    }
    await expectMove('pause', 409)
    await expectMove('resume', 409)
    await expectMove('start', 200, 'running')
    await expectMove('start', 409)
    await expectMove('resume', 409)
    expect((await call(t, `/v1/campaigns/${c.id}`, json({ name: 'x' }, u.auth, 'PATCH'))).status).toBe(409)
    expect((await call(t, `/v1/campaigns/${c.id}`, { method: 'DELETE', headers: u.auth })).status).toBe(409)
    await expectMove('pause', 200, 'paused')
    await expectMove('pause', 409)
    await expectMove('resume', 200, 'running')
    await expectMove('cancel', 200, 'cancelled')
    for (const action of ['start', 'pause', 'resume', 'cancel']) await expectMove(action, 409)
    const final = await call(t, `/v1/campaigns/${c.id}`, { headers: u.auth })
    expect(final.body.stats).toMatchObject({ pending: 0, cancelled: 2, total: 2 })
    expect((await call(t, `/v1/campaigns/${c.id}`, { method: 'DELETE', headers: u.auth })).status).toBe(204)
  })

  it('needs a verified email and at least one contact to start', async () => {
    const unverified = await seedUser(db.observer, { verified: false })
    await withContacts(unverified, 1)
    const a = await call(t, '/v1/campaigns', json(draft({ allContacts: true }), unverified.auth))
    expect((await act(unverified, a.body.id, 'start')).body.error.code).toBe('email_unverified')
    const lonely = await seedUser(db.observer)
    const b = await call(t, '/v1/campaigns', json(draft(), lonely.auth))
    const res = await act(lonely, b.body.id, 'start')
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'no_contacts' } } })
    expect((await call(t, `/v1/campaigns/${b.body.id}`, { headers: lonely.auth })).body.status).toBe('draft')
  })

  it('hides another user’s campaign behind a 404 for every route', async () => {
    const a = await seedUser(db.observer)
    const b = await seedUser(db.observer)
    const { body: c } = await call(t, '/v1/campaigns', json(draft(), a.auth))
    expect((await call(t, `/v1/campaigns/${c.id}`, { headers: b.auth })).status).toBe(404)
    expect((await call(t, `/v1/campaigns/${c.id}`, json({ name: 'mine' }, b.auth, 'PATCH'))).status).toBe(404)
    expect((await call(t, `/v1/campaigns/${c.id}`, { method: 'DELETE', headers: b.auth })).status).toBe(404)
    for (const action of ['start', 'pause', 'resume', 'cancel']) expect((await act(b, c.id, action)).status).toBe(404)
  })

  it('edits a draft: fields, steps and targets are replaced', async () => {
    const u = await seedUser(db.observer)
    const ids = await withContacts(u, 4)
    const { body: c } = await call(t, '/v1/campaigns', json(draft({ contactIds: ids, followUps: [{ delayMinutes: 5 }] }), u.auth))
    const res = await call(t, `/v1/campaigns/${c.id}`, json({ name: 'Renamed', contactIds: ids.slice(0, 1), followUps: [] }, u.auth, 'PATCH'))
    expect(res.body).toMatchObject({ name: 'Renamed', subject: c.subject, contactCount: 1, steps: [{ position: 1 }] })
  })

  it('starts a 10 000-contact campaign in a bounded number of statements, set-based', async () => {
    const u = await seedUser(db.observer)
    await withContacts(u, 10_000)
    const { body: c } = await call(t, '/v1/campaigns', json(draft({ allContacts: true, startAt: '2030-01-01T09:00:00Z' }), u.auth))
    expect(c.contactCount).toBe(10_000)
    log.reset()
    const started = await act(u, c.id, 'start')
    expect(started.body).toMatchObject({ status: 'running', startAt: expect.stringMatching(/^2030-01-01T09:00:00/), stats: { pending: 10_000, total: 10_000 } })
    console.log(`[statements] start with 10 000 contacts: ${log.count} statements`)
    // key check, BEGIN, status move, one INSERT … SELECT for all emails, the campaign.started event, COMMIT, read back
    expect(log.count).toBe(7)
    expect(log.statements.filter((s) => s.startsWith('INSERT INTO scheduled_emails'))).toHaveLength(1)
    const { rows } = await db.observer.query(`SELECT count(DISTINCT send_at)::int AS n, min(step_position) AS step FROM scheduled_emails WHERE campaign_id = $1`, [c.id])
    expect(rows[0]).toEqual({ n: 1, step: 1 })
  })

  it('lists campaigns with steps and stats in one statement per page (no N+1)', async () => {
    const u = await seedUser(db.observer)
    await withContacts(u, 2)
    const pageStatements = async (limit: number) => {
      log.reset()
      const res = await call(t, `/v1/campaigns?limit=${limit}`, { headers: u.auth })
      expect(res.body.items).toHaveLength(limit)
      return log.count
    }
    for (let i = 0; i < 12; i++) await call(t, '/v1/campaigns', json(draft({ allContacts: true, followUps: [{ delayMinutes: 1 }] }), u.auth))
    expect(await pageStatements(2)).toBe(2)
    expect(await pageStatements(12)).toBe(2)
    const running = await call(t, '/v1/campaigns?status=running', { headers: u.auth })
    expect(running.body.items).toEqual([])
    expect((await call(t, '/v1/campaigns?status=bogus', { headers: u.auth })).status).toBe(400)
  })
})

describe('templates', () => {
  it('renders merge fields with fallbacks', () => {
    const data = { email: 'a@example.com', firstName: 'Ada', company: null, fields: { plan: 'pro' } }
    expect(renderTemplate('Hi {{ firstName }} at {{company|your company}} on {{fields.plan}} {{fields.none}}!', data)).toBe('Hi Ada at your company on pro !')
    expect(renderTemplate('{{lastName|friend}}', data)).toBe('friend')
  })

  it('reports unknown and unclosed fields', () => {
    expect(templateProblems('Hi {{firstName}} {{fields.x}}')).toEqual([])
    expect(templateProblems('{{name}}')).toHaveLength(1)
    expect(templateProblems('{{firstName')).toHaveLength(1)
  })
})
