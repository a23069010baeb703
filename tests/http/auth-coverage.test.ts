/**
 * For every documented route, driven by /openapi.json so a new route is covered the day it lands:
 * no credentials → 401, a wrong key → 401, a user key on an admin route → 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let t: TestApp
let routes: { method: string; path: string; security: string | undefined; admin: boolean }[]
beforeAll(async () => {
  db = await freshDatabase()
  t = testApp(db.url)
  const { body } = await call(t, '/openapi.json')
  routes = Object.entries(body.paths as Record<string, Record<string, { security: Record<string, unknown>[]; tags: string[] }>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000'),
      security: Object.keys(op.security[0] ?? {})[0],
      admin: op.tags.includes('admin'),
    })),
  )
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

describe('authentication on every route', () => {
  it('answers 401 without credentials and with a wrong key, on every protected route', async () => {
    const protectedRoutes = routes.filter((r) => r.security)
    expect(protectedRoutes.length).toBeGreaterThan(30)
    for (const r of protectedRoutes) {
      const init = { method: r.method, headers: { 'content-type': 'application/json' }, body: r.method === 'GET' ? undefined : '{}' }
      const none = await call(t, r.path, init)
      const wrong = await call(t, r.path, { ...init, headers: { ...init.headers, authorization: `Bearer lt_${'x'.repeat(43)}` } })
      expect([r.method, r.path, none.status]).toEqual([r.method, r.path, 401])
      expect([r.method, r.path, wrong.status]).toEqual([r.method, r.path, r.security === 'opsToken' ? 403 : 401])
    }
  })

  it('answers 403 to a user key on every admin route', async () => {
    const user = await seedUser(db.observer)
    const adminRoutes = routes.filter((r) => r.admin)
    expect(adminRoutes.length).toBeGreaterThanOrEqual(3)
    for (const r of adminRoutes) {
      const res = await call(t, r.path, { method: r.method, headers: { ...user.auth, 'content-type': 'application/json' }, body: r.method === 'GET' ? undefined : '{}' })
      expect([r.path, res.status]).toEqual([r.path, 403])
    }
  })

  it('leaves the public routes public', () => {
    const open = routes.filter((r) => !r.security).map((r) => `${r.method} ${r.path}`).sort()
    expect(open).toEqual(['GET /health', 'POST /v1/auth/login', 'POST /v1/auth/register', 'POST /v1/auth/verify-email'])
  })
})
