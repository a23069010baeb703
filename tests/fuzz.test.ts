/**
 * Property: whatever arrives (any route, method, path parameter, query, header or body), the app
 * answers below 500, and every error is the JSON error body. Runs against the real app and
 * Postgres, rate limits on. `FUZZ_RUNS` sets the case count (`npm run fuzz` runs a long one).
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testApp, TEST_OPS_TOKEN, type TestApp } from './helpers/app.js'
import { freshDatabase, type TestDatabase } from './helpers/db.js'
import { seedUser, type SeededUser } from './helpers/users.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000)

let db: TestDatabase
let t: TestApp
let user: SeededUser
let admin: SeededUser
const ownIds: string[] = []
let routes: { method: string; path: string }[] = []

beforeAll(async () => {
  db = await freshDatabase()
  const limits = '1000000/1m'
  t = testApp(db.url, {
    RATE_LIMIT_API: limits, RATE_LIMIT_ADMIN: limits, RATE_LIMIT_AUTH: limits, RATE_LIMIT_CAMPAIGN_CREATE: limits, RATE_LIMIT_CAMPAIGN_START: limits,
    BODY_LIMIT_BYTES: '65536', LOG_LEVEL: 'warn', SSE_MAX_DURATION_MS: '1000', SSE_POLL_MS: '200',
  })
  user = await seedUser(db.observer, { credits: 5 })
  admin = await seedUser(db.observer, { role: 'admin' })
  const { rows: contacts } = await db.observer.query<{ id: string }>(
    `INSERT INTO contacts (user_id, email) SELECT $1, 'f' || g || '@example.com' FROM generate_series(1, 3) g RETURNING id`,
    [user.id],
  )
  const { rows: campaigns } = await db.observer.query<{ id: string }>(
    `INSERT INTO campaigns (user_id, name, from_email, subject_template, body_template) VALUES ($1, 'c', 'a@example.com', 's', 'b') RETURNING id`,
    [user.id],
  )
  const { rows: hooks } = await db.observer.query<{ id: string }>(
    `INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES ($1, 'https://example.com', '{email.sent}', 'whsec_x') RETURNING id`,
    [user.id],
  )
  ownIds.push(user.id, ...contacts.map((r) => r.id), campaigns[0]!.id, hooks[0]!.id)
  // One entry per handler in Hono's list (validators included): keep one per method and path.
  const unique = new Set(t.app.routes.filter((r) => r.method !== 'ALL' && !r.path.endsWith('*')).map((r) => `${r.method} ${r.path}`))
  routes = [...unique].map((key) => {
    const [method, path] = key.split(' ') as [string, string]
    return { method, path }
  })
})
afterAll(async () => {
  await t.close()
  await db.drop()
})

const weird = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '%', '%00', '..', '-1', '0', '1e309', 'null', '00000000-0000-0000-0000-000000000000', 'x'.repeat(300)),
  fc.uuid(),
)
const param = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...Array.from({ length: 6 }, (_, i) => i)).map((i) => ownIds[i % ownIds.length]!) }, { weight: 2, arbitrary: fc.uuid() }, { weight: 2, arbitrary: weird })
const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), weird, fc.emailAddress(), fc.integer(), fc.array(fc.uuid(), { maxLength: 3 }))
const fieldNames = ['email', 'password', 'name', 'token', 'keyName', 'firstName', 'lastName', 'company', 'fields', 'unsubscribed', 'replied', 'contacts',
  'fromEmail', 'fromName', 'subject', 'body', 'contactIds', 'allContacts', 'startAt', 'followUps', 'url', 'eventTypes', 'description', 'enabled',
  'threshold', 'kind', 'amount', 'reason']
const shapedBody = fc.dictionary(fc.constantFrom(...fieldNames), value, { maxKeys: 6 }).map((o) => JSON.stringify(o))
const body = fc.oneof(shapedBody, fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }), fc.constant(''), fc.constant('{"a":'))
const auth = fc.constantFrom<'none' | 'user' | 'admin' | 'garbage' | 'ops'>('none', 'user', 'user', 'admin', 'garbage', 'ops')
const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'unsubscribed', 'x'), fc.oneof(weird, fc.integer().map(String)), { maxKeys: 3 })

const request = fc.record({
  route: fc.nat(),
  method: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') }),
  params: fc.array(param, { minLength: 2, maxLength: 2 }),
  query,
  auth,
  contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', undefined, 'application/x-www-form-urlencoded'),
  body,
})

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never

function build(r: FuzzRequest): [string, RequestInit] {
  const route = routes[r.route % routes.length]!
  let n = 0
  const path = route.path.replace(/:(\w+)/g, () => encodeURIComponent(r.params[n++ % 2]!))
  const qs = new URLSearchParams(r.query).toString()
  const method = r.method ?? route.method
  const headers: Record<string, string> = {}
  if (r.contentType) headers['content-type'] = r.contentType
  if (r.auth === 'user') Object.assign(headers, user.auth)
  if (r.auth === 'admin') Object.assign(headers, admin.auth)
  if (r.auth === 'garbage') headers.authorization = 'Bearer lt_garbage'
  if (r.auth === 'ops') headers.authorization = `Bearer ${TEST_OPS_TOKEN}`
  const init: RequestInit = { method, headers }
  if (!['GET', 'HEAD'].includes(method)) init.body = r.body
  return [`${path}${qs ? `?${qs}` : ''}`, init]
}

describe('fuzz: every route, any input', () => {
  it(`never answers 5xx and always with a JSON error body (${RUNS} cases)`, async () => {
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [url, init] = build(r)
        const res = await t.app.request(url, init)
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        const text = await res.text()
        if (res.status >= 500) throw new Error(`${init.method} ${url} → ${res.status} ${text}`)
        if (res.status >= 400 && init.method !== 'HEAD') {
          const parsed = JSON.parse(text)
          if (typeof parsed?.error?.code !== 'string' || typeof parsed.error.message !== 'string') throw new Error(`not an error body: ${text}`)
        }
      }),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    )
    const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')
    console.log(`[fuzz] ${RUNS} cases over ${routes.length} routes: ${summary}`)
    // The generator reaches past validation: some requests succeed, and some are refused for each reason.
    for (const status of [200, 400, 401, 404]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0)
    const s = t.connections.stats()
    expect(s.total - s.idle).toBe(0)
  }, 240_000)
})
