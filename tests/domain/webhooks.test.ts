import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

describe('webhook endpoints', () => {
  it('creates an endpoint and shows its whsec_ secret only once', async () => {
    const u = await seedUser(db.observer)
    const res = await call(t, '/v1/webhooks', json({ url: 'https://hooks.example.com/in', eventTypes: ['email.sent', 'campaign.completed'] }, u.auth))
    expect(res).toMatchObject({ status: 201, body: { enabled: true, eventTypes: ['email.sent', 'campaign.completed'], disabledReason: null } })
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    const again = await call(t, `/v1/webhooks/${res.body.id}`, { headers: u.auth })
    expect(again.body.secret).toBeUndefined()
    const list = await call(t, '/v1/webhooks', { headers: u.auth })
    expect(JSON.stringify(list.body)).not.toContain(res.body.secret)
  })

  it.each([
    ['a non-http URL', { url: 'ftp://example.com/x', eventTypes: ['email.sent'] }, 'url'],
    ['credentials in the URL', { url: 'https://u:p@example.com/x', eventTypes: ['email.sent'] }, 'url'],
    ['an unknown event type', { url: 'https://example.com/x', eventTypes: ['email.opened'] }, 'eventTypes.0'],
    ['no event types', { url: 'https://example.com/x', eventTypes: [] }, 'eventTypes'],
    ['repeated event types', { url: 'https://example.com/x', eventTypes: ['email.sent', 'email.sent'] }, 'eventTypes'],
  ])('rejects %s with 400', async (_label, body, field) => {
    const u = await seedUser(db.observer)
    const res = await call(t, '/v1/webhooks', json(body, u.auth))
    expect(res.status).toBe(400)
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field)
  })

  it('updates, disables, re-enables and deletes; another user gets 404 everywhere', async () => {
    const u = await seedUser(db.observer)
    const other = await seedUser(db.observer)
    const { body: hook } = await call(t, '/v1/webhooks', json({ url: 'https://example.com/a', eventTypes: ['email.sent'] }, u.auth))
    await db.observer.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing for 5 days' WHERE id = $1`, [hook.id])
    const enabled = await call(t, `/v1/webhooks/${hook.id}`, json({ enabled: true, description: 'prod' }, u.auth, 'PATCH'))
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, description: 'prod', url: 'https://example.com/a' })

    for (const init of [{}, json({ enabled: false }, {}, 'PATCH'), { method: 'DELETE' }]) {
      const res = await call(t, `/v1/webhooks/${hook.id}`, { ...init, headers: { ...(init.headers as object), ...other.auth } })
      expect(res.status).toBe(404)
    }
    expect((await call(t, `/v1/webhooks/${hook.id}/deliveries`, { headers: other.auth })).status).toBe(404)
    expect((await call(t, `/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: u.auth })).status).toBe(204)
    expect((await call(t, `/v1/webhooks/${hook.id}`, { headers: u.auth })).status).toBe(404)
  })

  it('lists recent deliveries newest first, paged', async () => {
    const u = await seedUser(db.observer)
    const { body: hook } = await call(t, '/v1/webhooks', json({ url: 'https://example.com/d', eventTypes: ['email.sent'] }, u.auth))
    expect((await call(t, `/v1/webhooks/${hook.id}/deliveries`, { headers: u.auth })).body).toEqual({ items: [], nextCursor: null })
    await db.observer.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_type, payload, created_at)
       SELECT $1, 'email.sent', jsonb_build_object('n', g), now() - g * interval '1 minute' FROM generate_series(1, 5) g`,
      [hook.id],
    )
    const first = await call(t, `/v1/webhooks/${hook.id}/deliveries?limit=3`, { headers: u.auth })
    expect(first.body.items).toHaveLength(3)
    const second = await call(t, `/v1/webhooks/${hook.id}/deliveries?limit=3&cursor=${first.body.nextCursor}`, { headers: u.auth })
    expect(second.body.items).toHaveLength(2)
    expect(second.body.nextCursor).toBeNull()
    const times = [...first.body.items, ...second.body.items].map((d: { createdAt: string }) => Date.parse(d.createdAt))
    expect(times).toEqual([...times].sort((a, b) => b - a))
  })
})
