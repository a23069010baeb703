/**
 * DB_DRIVER=postgres: postgres.js behind the same ConnectionSource — statements through its pool,
 * a reserved connection for transactions and withClient — checked against `pg` on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import { DbUnavailableError, UNIQUE_VIOLATION, sqlState } from '../../src/db/errors.js'
import { RequestScope } from '../../src/db/scope.js'
import type { ConnectionSource } from '../../src/db/types.js'
import { memoryLogger } from '../../src/logger.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from '../helpers/db.js'

let db: TestDatabase
const sources: ConnectionSource[] = []
const appName = uniqueAppName('pgjs')

function source(env: Record<string, string> = {}, url = db.url): ConnectionSource {
  const config = loadConfig({ DATABASE_URL: url, DB_DRIVER: 'postgres', DB_APPLICATION_NAME: appName, ...env }, 'node')
  const s = createConnectionSource(config.db, url, memoryLogger())
  sources.push(s)
  return s
}

beforeAll(async () => {
  db = await freshDatabase()
  await db.observer.query(`CREATE TABLE pgjs_probe (id int PRIMARY KEY, note text NOT NULL, doc jsonb, at timestamptz, tags text[], bytes bytea)`)
})
afterAll(async () => {
  await Promise.all(sources.map((s) => s.end()))
  await db.drop()
})

const TYPED_ROW = `SELECT 1::int AS i, 9007199254740993::int8 AS big, 1.50::numeric AS num, 'a"b'::text AS t, true AS b,
  '2026-11-23T10:00:00.123Z'::timestamptz AS ts, '2026-11-23 10:00:00'::timestamp AS naive, '2026-11-23'::date AS d,
  '{"k":[1,null,"x"]}'::jsonb AS j, '{"a":1}'::json AS js, '7d7f5a9e-6c1f-4f3a-9a51-2b3d8a2d1f00'::uuid AS u,
  '\\x00ff'::bytea AS bytes, ARRAY[1,2,NULL]::int[] AS arr, ARRAY['a b','c']::text[] AS words, NULL::text AS nothing,
  2.5::float8 AS f, 32767::int2 AS small, $1::text AS param, $2::int AS p2`

describe('DB_DRIVER=postgres', () => {
  it('maps results exactly as pg does, for every common type, through the pool and on a reserved connection', async () => {
    const params = ['héllo ✓', 42]
    const viaPg = await db.observer.query(TYPED_ROW, params)
    const scope = new RequestScope(source())
    const pooled = await scope.query(TYPED_ROW, params)
    const reserved = await scope.withTransaction((tx) => tx.query(TYPED_ROW, params))
    await scope.end()
    for (const result of [pooled, reserved]) {
      expect(result.rows).toEqual(viaPg.rows)
      expect([result.command, result.rowCount]).toEqual(['SELECT', 1])
      expect(result.fields.map((f) => [f.name, f.dataTypeID])).toEqual(viaPg.fields.map((f) => [f.name, f.dataTypeID]))
    }
  })

  it('sends parameters as pg does: Date, arrays, objects and JSON strings to jsonb, Buffer to bytea, null', async () => {
    const scope = new RequestScope(source())
    const at = new Date('2026-11-23T10:00:00.123Z')
    const insert = `INSERT INTO pgjs_probe (id, note, doc, at, tags, bytes) VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)`
    const params = [1, 'object', { a: [1, 'x'] }, at, ['a', 'b c'], Buffer.from([0, 255]), 2, 'string', JSON.stringify([{ k: 1 }]), null, [], null]
    const result = await scope.query(insert, params)
    expect([result.command, result.rowCount]).toEqual(['INSERT', 2])
    await scope.end()
    const rows = (await db.observer.query(`SELECT id, note, doc, at, tags, bytes FROM pgjs_probe ORDER BY id`)).rows
    expect(rows).toEqual([
      { id: 1, note: 'object', doc: { a: [1, 'x'] }, at, tags: ['a', 'b c'], bytes: Buffer.from([0, 255]) },
      { id: 2, note: 'string', doc: [{ k: 1 }], at: null, tags: [], bytes: null },
    ])
  })

  it('passes Postgres errors through with their SQLSTATE, and keeps the connection usable', async () => {
    const scope = new RequestScope(source())
    const error = await scope.query(`INSERT INTO pgjs_probe (id, note) VALUES (1, 'again')`).catch((e: unknown) => e)
    expect(sqlState(error)).toBe(UNIQUE_VIOLATION)
    const inTx = await scope.withTransaction((tx) => tx.query(`INSERT INTO pgjs_probe (id, note) VALUES (1, 'again')`)).catch((e: unknown) => e)
    expect(sqlState(inTx)).toBe(UNIQUE_VIOLATION)
    expect((await scope.query(`SELECT count(*)::int AS n FROM pgjs_probe`)).rows).toEqual([{ n: 2 }])
    await scope.end()
  })

  it('runs transactions with savepoints, all or nothing, on one reserved connection given back at the end', async () => {
    const s = source()
    const scope = new RequestScope(s)
    await scope.withTransaction(async (tx) => {
      await tx.query(`INSERT INTO pgjs_probe (id, note) VALUES (10, 'outer')`)
      await tx.withTransaction((inner) => inner.query(`INSERT INTO pgjs_probe (id, note) VALUES (11, 'inner')`)).catch(() => undefined)
      await tx
        .withTransaction(async (inner) => {
          await inner.query(`INSERT INTO pgjs_probe (id, note) VALUES (12, 'rolled back')`)
          throw new Error('inner fails')
        })
        .catch(() => undefined)
    })
    expect(scope.holdsConnection).toBe(true)
    expect(s.stats()).toMatchObject({ acquires: 1 })
    await scope.end()
    expect((await db.observer.query(`SELECT id FROM pgjs_probe WHERE id >= 10 ORDER BY id`)).rows).toEqual([{ id: 10 }, { id: 11 }])
    const failed = new RequestScope(s)
    await failed.withTransaction(async (tx) => {
      await tx.query(`INSERT INTO pgjs_probe (id, note) VALUES (13, 'never')`)
      throw new Error('whole transaction fails')
    }).catch(() => undefined)
    await failed.end()
    expect((await db.observer.query(`SELECT 1 FROM pgjs_probe WHERE id = 13`)).rowCount).toBe(0)
  })

  it('runs a batch in one round trip, all or nothing, holding no connection', async () => {
    const scope = new RequestScope(source())
    const results = await scope.batch([
      { text: `INSERT INTO pgjs_probe (id, note) VALUES (20, 'a')` },
      { text: `UPDATE pgjs_probe SET note = $1 WHERE id = 20`, params: ['b'] },
    ])
    expect(results.map((r) => [r.command, r.rowCount])).toEqual([['INSERT', 1], ['UPDATE', 1]])
    const failed = await scope.batch([{ text: `INSERT INTO pgjs_probe (id, note) VALUES (21, 'a')` }, { text: `INSERT INTO pgjs_probe (id, note) VALUES (20, 'dup')` }]).catch((e: unknown) => e)
    expect(sqlState(failed)).toBe(UNIQUE_VIOLATION)
    expect(scope.holdsConnection).toBe(false)
    await scope.end()
    expect((await db.observer.query(`SELECT id, note FROM pgjs_probe WHERE id IN (20, 21)`)).rows).toEqual([{ id: 20, note: 'b' }])
  })

  it('cancels a statement cut short, in a transaction too, and destroys the connection that held it', async () => {
    const s = source({ DB_POOL_MAX: '1' })
    const pooled = new RequestScope(s)
    const sleeping = pooled.query('SELECT pg_sleep(20)').catch((e: unknown) => e)
    await waitFor(async () => (await db.connections(appName)).some((c) => c.query === 'SELECT pg_sleep(20)' && c.state === 'active'), 2000)
    await pooled.abort('request timed out')
    await sleeping
    const inTx = new RequestScope(s)
    const txSleep = inTx.withTransaction((tx) => tx.query('SELECT pg_sleep(20)')).catch((e: unknown) => e)
    await waitFor(async () => (await db.connections(appName)).some((c) => c.query === 'SELECT pg_sleep(20)' && c.state === 'active'), 2000)
    await inTx.abort('request timed out')
    await txSleep
    await waitFor(async () => !(await db.connections(appName)).some((c) => c.state === 'active' || c.state === 'idle in transaction'), 3000)
    expect((await db.connections(appName)).filter((c) => c.state !== 'idle')).toEqual([])
    // The pool of one still serves.
    const next = new RequestScope(s)
    expect((await next.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    await next.end()
  })

  it('answers 503 with Retry-After when the pool is exhausted or the server unreachable', async () => {
    const s = source({ DB_POOL_MAX: '1', DB_CONNECT_TIMEOUT_MS: '300' })
    const holder = new RequestScope(s)
    await holder.withClient((c) => c.query('SELECT 1'))
    const waiting = new RequestScope(s)
    const exhausted = await waiting.withTransaction((tx) => tx.query('SELECT 1')).catch((e: unknown) => e)
    expect(exhausted).toBeInstanceOf(DbUnavailableError)
    expect(exhausted).toMatchObject({ reason: 'pool_exhausted', retryAfterS: 1 })
    await holder.end()
    await waiting.end()
    const down = new RequestScope(source({ DB_CONNECT_TIMEOUT_MS: '300' }, 'postgres://postgres:x@127.0.0.1:1/none'))
    const unreachable = await down.query('SELECT 1').catch((e: unknown) => e)
    expect(unreachable).toBeInstanceOf(DbUnavailableError)
    expect((unreachable as DbUnavailableError).reason).toBe('connect_failed')
    await down.end()
  })

  it('straight to Postgres (DB_POOLER=none): statement_timeout and application_name at connect, named prepared statements', async () => {
    const s = source({ DB_STATEMENT_TIMEOUT_MS: '200', DB_POOLER: 'none' })
    const scope = new RequestScope(s)
    expect(sqlState(await scope.query('SELECT pg_sleep(2)').catch((e: unknown) => e))).toBe('57014')
    const settings = await scope.withClient((c) => c.query(`SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app`))
    expect(settings.rows).toEqual([{ timeout: '200ms', app: appName }])
    // A statement with parameters goes as a named prepared statement (one without, as a simple query).
    const prepared = await scope.withClient(async (c) => {
      await c.query('SELECT $1::int AS x', [1])
      return c.query(`SELECT statement FROM pg_prepared_statements`)
    })
    expect(prepared.rows).toEqual([{ statement: 'SELECT $1::int AS x' }])
    await scope.end()
  })

  it('by default (safe behind a transaction pooler): no session setting and no prepared statement, the timeout still enforced', async () => {
    const scope = new RequestScope(source({ DB_STATEMENT_TIMEOUT_MS: '200' }))
    const started = performance.now()
    expect(sqlState(await scope.query('SELECT pg_sleep(2)').catch((e: unknown) => e))).toBe('57014')
    expect(performance.now() - started).toBeLessThan(1500)
    const session = await scope.withClient(async (c) => {
      await c.query('SELECT $1::int AS x', [1])
      return c.query(`SELECT current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app, (SELECT count(*)::int FROM pg_prepared_statements) AS prepared`)
    })
    expect(session.rows).toEqual([{ timeout: '0', app: appName, prepared: 0 }])
    // Inside a transaction the server enforces it too (SET LOCAL, gone at COMMIT).
    const inside = await scope.withTransaction((tx) => tx.query(`SELECT current_setting('statement_timeout') AS timeout`))
    expect(inside.rows).toEqual([{ timeout: '200ms' }])
    await scope.end()
  })

  it('drains to zero connections after the idle timeout, with no timer left', async () => {
    const name = uniqueAppName('pgjs-drain')
    const config = loadConfig({ DATABASE_URL: db.url, DB_DRIVER: 'postgres', DB_APPLICATION_NAME: name, DB_IDLE_TIMEOUT_MS: '300' }, 'node')
    const s = createConnectionSource(config.db, db.url, memoryLogger())
    sources.push(s)
    const scopes = Array.from({ length: 4 }, () => new RequestScope(s))
    await Promise.all(scopes.map((scope) => scope.withTransaction((tx) => tx.query('SELECT pg_sleep(0.05)'))))
    await Promise.all(scopes.map((scope) => scope.end()))
    expect((await db.connections(name)).length).toBeGreaterThan(0)
    await waitFor(async () => (await db.connections(name)).length === 0, 3000)
    expect(await db.connections(name)).toEqual([])
    expect(s.stats()).toMatchObject({ total: 0, idle: 0, waiting: 0 })
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout')
    // vitest's own timers aside, none is postgres.js's: compare with the count before any connection.
    expect(timers.length).toBeLessThanOrEqual(baselineTimers)
  })
})

const baselineTimers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
