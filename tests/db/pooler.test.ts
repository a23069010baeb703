/**
 * lowtide behind PgBouncer (Debian's package, 1.18) in transaction mode, configured as it commonly
 * is (`ignore_startup_parameters = extra_float_digits` and nothing else), with a pool smaller than
 * the app's: every guarantee still holds, on `pg` and on postgres.js, with lowtide's default settings.
 */
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { sqlState } from '../../src/db/errors.js'
import { RequestScope } from '../../src/db/scope.js'
import { migrate } from '../../src/db/migrate.js'
import { PGBOUNCER_BIN, PGBOUNCER_MISSING, startPgBouncer, type PgBouncer } from '../../tools/lib/pgbouncer.js'
import { call, json, testApp, TEST_OPS_TOKEN, type TestApp } from '../helpers/app.js'
import { freshDatabase, uniqueAppName, urlFor, waitFor, type TestDatabase } from '../helpers/db.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let bouncer: PgBouncer
let url: string
const apps: TestApp[] = []

beforeEach((ctx) => {
  if (!PGBOUNCER_BIN) ctx.skip(PGBOUNCER_MISSING)
})
beforeAll(async () => {
  if (!PGBOUNCER_BIN) return
  db = await freshDatabase()
  bouncer = await startPgBouncer({ serverUrl: inject('pgAdminUrl'), poolSize: 3 })
  url = bouncer.urlFor(urlFor(db.name))
}, 60_000)
afterAll(async () => {
  for (const t of apps) await t.close()
  await bouncer?.stop()
  await db?.drop()
})

function app(env: Record<string, string> = {}): TestApp {
  const t = testApp(url, { DB_IDLE_TIMEOUT_MS: '300', ...env })
  apps.push(t)
  return t
}

/** A plain client of the test's own; a pooler stopped under it is no error of the test's. */
async function rawClient(connectionString: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString })
  c.on('error', () => undefined)
  await c.connect()
  return c
}

/** Clients the app holds at the pooler (SHOW CLIENTS). */
const clientsOf = async (applicationName: string) => (await bouncer.admin<{ application_name: string; database: string }>('SHOW CLIENTS')).filter((c) => c.application_name === applicationName && c.database === db.name).length

/** Every server connection PgBouncer holds for this database, one after another: what state each is in. */
async function serverSessions(): Promise<Record<string, unknown>[]> {
  const clients = await Promise.all(Array.from({ length: 3 }, () => rawClient(url)))
  try {
    // Held open in transactions at once, each has a server connection of its own: all three are seen.
    await Promise.all(clients.map((c) => c.query('BEGIN')))
    return await Promise.all(
      clients.map(async (c) => (await c.query(`SELECT current_setting('statement_timeout') AS timeout,
          (SELECT count(*)::int FROM pg_prepared_statements) AS prepared,
          (SELECT count(*)::int FROM pg_listening_channels()) AS listening,
          (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS "advisoryLocks"`)).rows[0]!),
    )
  } finally {
    await Promise.all(clients.map((c) => c.query('ROLLBACK').then(() => c.end())))
  }
}

describe.each([
  ['pg', {}],
  ['postgres.js', { DB_DRIVER: 'postgres' }],
] as const)('behind PgBouncer 1.18 in transaction mode, on %s, with lowtide’s defaults', (_driver, driverEnv) => {
  it('serves reads, writes and transactions; DB_POOLER=none is refused with what to change', async () => {
    const t = app(driverEnv)
    const u = await seedUser(db.observer)
    expect((await call(t, '/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })).status).toBe(200)
    const created = await call(t, '/v1/contacts', json({ email: `${uniqueAppName('c')}@example.com` }, u.auth))
    expect(created.status).toBe(201)
    expect((await call(t, '/v1/contacts', { headers: u.auth })).body.items).toHaveLength(1)
    // Straight-to-Postgres settings send the statement timeout at connect: PgBouncer refuses that.
    const direct = app({ ...driverEnv, DB_POOLER: 'none' })
    const refused = await call(direct, '/v1/contacts', { headers: u.auth })
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'db_unavailable', message: expect.stringMatching(/unsupported startup parameter: statement_timeout — DATABASE_URL reaches a transaction-mode pooler; leave DB_POOLER at its default/) } } })
  })

  it('cancels a statement that outlives DB_STATEMENT_TIMEOUT_MS, on its own (cancel request) and in a transaction (SET LOCAL): nothing keeps running', async () => {
    const t = app({ ...driverEnv, DB_STATEMENT_TIMEOUT_MS: '300' })
    const appName = t.config.db.applicationName
    const scope = new RequestScope(t.connections)
    try {
      for (const [how, run] of [
        ['on its own', () => scope.query('SELECT pg_sleep(5)')],
        ['in a transaction', () => scope.withTransaction((tx) => tx.query('SELECT pg_sleep(5)'))],
      ] as const) {
        const started = performance.now()
        const err = await run().catch((e: unknown) => e)
        const ms = performance.now() - started
        console.log(`[pooler] ${_driver}, ${how}: cancelled after ${Math.round(ms)} ms: ${(err as Error).message}`)
        expect(sqlState(err)).toBe('57014')
        expect(ms).toBeLessThan(2000)
        const running = await db.observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep(5)%' AND state = 'active'`, [appName])
        expect(running.rows[0].n).toBe(0)
      }
    } finally {
      await scope.end()
    }
    // The pooler lived through every cancel (PgBouncer 1.18 crashes on a cancel socket closed early).
    expect(await bouncer.admin('SHOW VERSION')).toHaveLength(1)
    expect(bouncer.log()).not.toMatch(/FATAL @/) // PgBouncer's own fatal errors (a crash), not the server's it passes on
  })

  it('leaves no session state on a server connection: no setting, prepared statement, LISTEN or advisory lock', async () => {
    const t = app(driverEnv)
    const u = await seedUser(db.observer)
    // A bit of everything: statements, a transaction, a batch, an import.
    for (let i = 0; i < 5; i++) await call(t, '/v1/contacts', json({ email: `${uniqueAppName('s')}@example.com` }, u.auth))
    await call(t, '/v1/contacts/import', json({ contacts: [{ email: `${uniqueAppName('i')}@example.com` }] }, u.auth))
    await call(t, '/v1/credits', { headers: u.auth })
    // Migrations through the pooler too (their lock is a transaction's now).
    const migrators = await Promise.all([rawClient(url), rawClient(url)])
    const applied = await Promise.all(migrators.map((m) => migrate(m, [{ id: `990_pooled_${_driver}`, sql: 'SELECT 1' }])))
    expect(applied.flat()).toEqual([`990_pooled_${_driver}`])
    await Promise.all(migrators.map((m) => m.end()))
    expect(await serverSessions()).toEqual(Array(3).fill({ timeout: '0', prepared: 0, listening: 0, advisoryLocks: 0 }))
  })

  it('drains: after the idle timeout the app holds no connection at the pooler', async () => {
    const t = app(driverEnv)
    const u = await seedUser(db.observer)
    await Promise.all(Array.from({ length: 8 }, () => call(t, '/v1/contacts', { headers: u.auth })))
    expect(await clientsOf(t.config.db.applicationName)).toBeGreaterThan(0)
    await waitFor(async () => (await clientsOf(t.config.db.applicationName)) === 0, 5000, 50)
    expect(t.connections.stats().total).toBe(0)
  })

  it('answers 503 db_saturated with a jittered Retry-After when the pooler gives up waiting for a server connection (query_wait_timeout)', async () => {
    const tight = await startPgBouncer({ serverUrl: inject('pgAdminUrl'), poolSize: 1, queryWaitTimeoutS: 1 })
    try {
      const t = testApp(tight.urlFor(urlFor(db.name)), { ...driverEnv, DB_CONNECT_TIMEOUT_MS: '1000' })
      apps.push(t)
      const u = await seedUser(db.observer)
      // The one server connection is busy for 3 s: everything else waits at the pooler.
      const holder = await rawClient(tight.urlFor(urlFor(db.name)))
      const busy = holder.query('SELECT pg_sleep(3)')
      await new Promise((r) => setTimeout(r, 100))
      const answers = await Promise.all(Array.from({ length: 4 }, () => t.app.request('/v1/contacts', { headers: u.auth })))
      await busy
      await holder.end()
      for (const res of answers) {
        const body = (await res.json()) as { error: { code: string } }
        expect([res.status, body.error.code]).toEqual([503, 'db_saturated'])
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(2)
      }
      // And it recovers at once.
      expect((await t.app.request('/v1/contacts', { headers: u.auth })).status).toBe(200)
    } finally {
      await tight.stop()
    }
  })
})

describe('saturation is not unavailability', () => {
  it("answers 503 db_saturated, not db_unavailable, to PgBouncer's max_client_conn and to Postgres' 53300", async () => {
    const full = await startPgBouncer({ serverUrl: inject('pgAdminUrl'), poolSize: 2, maxClientConn: 2 })
    try {
      const u = await seedUser(db.observer)
      // Two other clients take the pooler's two client slots.
      const squatters = await Promise.all(Array.from({ length: 2 }, () => rawClient(full.urlFor(urlFor(db.name)))))
      const t = testApp(full.urlFor(urlFor(db.name)))
      apps.push(t)
      const res = await call(t, '/v1/contacts', { headers: u.auth })
      expect([res.status, res.body.error.code, res.body.error.message]).toEqual([503, 'db_saturated', expect.stringContaining('no more connections allowed (max_client_conn)')])
      // DB_CONNECT_TIMEOUT_MS 2000: 2 to 4 s.
      expect(['2', '3', '4']).toContain(res.headers.get('retry-after'))
      await Promise.all(squatters.map((c) => c.end()))
    } finally {
      await full.stop()
    }
    // A role limited to one connection, straight to Postgres, with that one taken.
    const role = `lt_limited_${Date.now().toString(36)}`
    await db.observer.query(`CREATE ROLE ${role} LOGIN PASSWORD 'lowtide' CONNECTION LIMIT 1`)
    await db.observer.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`)
    const limited = new URL(urlFor(db.name))
    limited.username = role
    const taken = await rawClient(limited.toString())
    try {
      for (const driver of [{}, { DB_DRIVER: 'postgres' }]) {
        const t = testApp(limited.toString(), { ...driver, DB_POOLER: 'none' })
        apps.push(t)
        const res = await call(t, '/readyz', { headers: { authorization: `Bearer ${TEST_OPS_TOKEN}` } })
        expect([res.status, JSON.stringify(res.body)]).toEqual([503, expect.stringContaining('too many connections for role')])
        const api = await call(t, '/v1/contacts', { headers: (await seedUser(db.observer)).auth })
        expect([api.status, api.body.error.code]).toEqual([503, 'db_saturated'])
      }
    } finally {
      await taken.end()
    }
  })

  it('spreads Retry-After: a saturation says base to twice base seconds, jittered', async () => {
    const { saturatedError } = await import('../../src/db/errors.js')
    const seen = new Set(Array.from({ length: 200 }, () => saturatedError(new Error('x'), 2).retryAfterS))
    expect([...seen].sort()).toEqual([2, 3, 4])
    expect(saturatedError(new Error('x'), 2, () => 0).retryAfterS).toBe(2)
    expect(saturatedError(new Error('x'), 2, () => 0.999).retryAfterS).toBe(4)
  })
})
