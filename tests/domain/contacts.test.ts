import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

const listAll = async (u: SeededUser, query = '', limit = 7) => {
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await call(t, `/v1/contacts?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}${query}`, { headers: u.auth })
    expect(res.status).toBe(200)
    seen.push(...res.body.items.map((c: { email: string }) => c.email))
    cursor = res.body.nextCursor
    pages++
  } while (cursor && pages < 100)
  return seen
}

describe('contacts', () => {
  it('creates, reads, updates and deletes a contact', async () => {
    const u = await seedUser(db.observer)
    const created = await call(t, '/v1/contacts', json({ email: 'c@example.com', firstName: 'Cy', fields: { plan: 'pro' } }, u.auth))
    expect(created).toMatchObject({ status: 201, body: { email: 'c@example.com', firstName: 'Cy', lastName: null, fields: { plan: 'pro' }, unsubscribedAt: null } })
    const id = created.body.id
    expect((await call(t, `/v1/contacts/${id}`, { headers: u.auth })).body).toEqual(created.body)

    const patched = await call(t, `/v1/contacts/${id}`, json({ lastName: 'Young', unsubscribed: true }, u.auth, 'PATCH'))
    expect(patched.body).toMatchObject({ firstName: 'Cy', lastName: 'Young', unsubscribedAt: expect.any(String) })
    const resubscribed = await call(t, `/v1/contacts/${id}`, json({ unsubscribed: false, replied: true }, u.auth, 'PATCH'))
    expect(resubscribed.body).toMatchObject({ unsubscribedAt: null, repliedAt: expect.any(String) })

    expect((await call(t, `/v1/contacts/${id}`, { method: 'DELETE', headers: u.auth })).status).toBe(204)
    expect((await call(t, `/v1/contacts/${id}`, { headers: u.auth })).status).toBe(404)
  })

  it('keeps emails unique per user (409), but two users may share one', async () => {
    const a = await seedUser(db.observer)
    const b = await seedUser(db.observer)
    expect((await call(t, '/v1/contacts', json({ email: 'same@example.com' }, a.auth))).status).toBe(201)
    expect((await call(t, '/v1/contacts', json({ email: 'SAME@example.com' }, a.auth))).body.error.code).toBe('contact_exists')
    expect((await call(t, '/v1/contacts', json({ email: 'same@example.com' }, b.auth))).status).toBe(201)
    const other = await call(t, '/v1/contacts', json({ email: 'other@example.com' }, a.auth))
    const clash = await call(t, `/v1/contacts/${other.body.id}`, json({ email: 'Same@Example.com' }, a.auth, 'PATCH'))
    expect(clash).toMatchObject({ status: 409, body: { error: { code: 'contact_exists' } } })
  })

  it('hides another user’s contacts behind the same 404 as a missing one', async () => {
    const a = await seedUser(db.observer)
    const b = await seedUser(db.observer)
    const mine = await call(t, '/v1/contacts', json({ email: 'mine@example.com' }, a.auth))
    for (const init of [{}, json({ firstName: 'X' }, {}, 'PATCH'), { method: 'DELETE' }]) {
      const res = await call(t, `/v1/contacts/${mine.body.id}`, { ...init, headers: { ...(init.headers as object), ...b.auth } })
      expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'contact not found' } } })
    }
    expect((await call(t, `/v1/contacts/${mine.body.id}`, { headers: a.auth })).body.firstName).toBeNull()
  })

  it('imports 1 000 contacts in one statement, skipping existing emails and repeats', async () => {
    const u = await seedUser(db.observer)
    await call(t, '/v1/contacts', json({ email: 'exists@example.com' }, u.auth))
    const contacts = Array.from({ length: 998 }, (_, i) => ({ email: `bulk${i}@example.com`, firstName: `N${i}` }))
    contacts.push({ email: 'EXISTS@example.com', firstName: 'dup' }, { email: 'BULK0@example.com', firstName: 'repeat' })
    log.reset()
    const res = await call(t, '/v1/contacts/import', json({ contacts }, u.auth))
    expect(res.body).toEqual({ imported: 998, skipped: 2, skippedEmails: ['EXISTS@example.com', 'BULK0@example.com'] })
    expect(log.statements.filter((s) => s.startsWith('INSERT INTO contacts'))).toHaveLength(1)
    expect(log.count).toBe(2) // the API key check and the import
    const tooMany = await call(t, '/v1/contacts/import', json({ contacts: [...contacts, { email: 'x@example.com' }] }, u.auth))
    expect(tooMany.status).toBe(400)
  })

  it('pages through every contact exactly once, with the same statement count per page', async () => {
    const u = await seedUser(db.observer)
    await call(t, '/v1/contacts/import', json({ contacts: Array.from({ length: 30 }, (_, i) => ({ email: `p${i}@example.com` })) }, u.auth))
    await call(t, '/v1/contacts/p3@example.com', { headers: u.auth }) // a malformed id, ignored here
    log.reset()
    const seen = await listAll(u)
    expect(seen).toHaveLength(30)
    expect(new Set(seen).size).toBe(30)
    expect(log.count).toBe(5 * 2) // 5 pages, each: key check + one list query (no N+1)
  })

  it('filters by unsubscribed and refuses a forged cursor', async () => {
    const u = await seedUser(db.observer)
    const a = await call(t, '/v1/contacts', json({ email: 'a@example.com' }, u.auth))
    await call(t, '/v1/contacts', json({ email: 'b@example.com' }, u.auth))
    await call(t, `/v1/contacts/${a.body.id}`, json({ unsubscribed: true }, u.auth, 'PATCH'))
    expect(await listAll(u, '&unsubscribed=true')).toEqual(['a@example.com'])
    expect(await listAll(u, '&unsubscribed=false')).toEqual(['b@example.com'])
    for (const cursor of ['garbage', btoa('["not a date","x"]'), btoa('["9999-99-99T00:00:00Z","00000000-0000-4000-8000-000000000000"]')]) {
      const res = await call(t, `/v1/contacts?cursor=${encodeURIComponent(cursor)}`, { headers: u.auth })
      expect(res.status).toBe(400)
    }
  })
})
