/**
 * DB_DRIVER=neon-http: single statements and batches over Neon's SQL-over-HTTP protocol (against a
 * local server speaking it, tools/lib/neon-http-server.ts), interactive transactions over
 * `neon-ws` through the WebSocket proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import { DbUnavailableError, ScopeClosedError, UNIQUE_VIOLATION, sqlState } from '../../src/db/errors.js'
import { RequestScope } from '../../src/db/scope.js'
import type { ConnectionSource } from '../../src/db/types.js'
import { memoryLogger } from '../../src/logger.js'
import { call, json, testApp, type TestApp } from '../helpers/app.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from '../helpers/db.js'
import { startNeonHttpServer, type NeonHttpServer } from '../../tools/lib/neon-http-server.js'
import { startNeonProxy, type NeonProxy } from '../../tools/lib/neon-proxy.js'
import { seedUser } from '../helpers/users.js'

let db: TestDatabase
let proxy: NeonProxy
let http: NeonHttpServer
let t: TestApp
let source: ConnectionSource
const env = () => ({ DB_DRIVER: 'neon-http', NEON_HTTP_ENDPOINT: http.endpoint, NEON_WS_PROXY: proxy.template, NEON_WS_INSECURE: '1' })

beforeAll(async () => {
  db = await freshDatabase()
  proxy = await startNeonProxy()
  http = await startNeonHttpServer()
  t = testApp(db.url, { ...env(), REQUEST_TIMEOUT_MS: '1000' })
  source = t.connections
  await db.observer.query(`CREATE TABLE http_probe (id int PRIMARY KEY, note text NOT NULL)`)
})
afterAll(async () => {
  await t.close()
  await proxy.stop()
  await http.stop()
  await db.drop()
})

/** What each channel did during `fn`: HTTP requests and WebSockets opened. */
async function traffic(fn: () => Promise<void>): Promise<{ http: number; ws: number }> {
  const before = { http: http.requests, ws: proxy.connections }
  await fn()
  return { http: http.requests - before.http, ws: proxy.connections - before.ws }
}

const TYPED_ROW = `SELECT 1::int AS i, 9007199254740993::int8 AS big, 1.50::numeric AS num, 'a"b'::text AS t, true AS b,
  '2026-11-23T10:00:00.123Z'::timestamptz AS ts, '2026-11-23'::date AS d, '{"k":[1,null,"x"]}'::jsonb AS j,
  '7d7f5a9e-6c1f-4f3a-9a51-2b3d8a2d1f00'::uuid AS u, '\\x00ff'::bytea AS bytes, ARRAY[1,2,NULL]::int[] AS arr,
  ARRAY['a b','c']::text[] AS words, NULL::text AS nothing, $1::text AS param, $2::int AS p2`

describe('DB_DRIVER=neon-http', () => {
  it('maps results exactly as pg does, for every common type', async () => {
    const params = ['héllo ✓', 42]
    const viaPg = await db.observer.query(TYPED_ROW, params)
    const scope = new RequestScope(source)
    const viaHttp = await scope.query(TYPED_ROW, params)
    await scope.end()
    expect(viaHttp.rows).toEqual(viaPg.rows)
    expect(viaHttp.command).toBe('SELECT')
    expect(viaHttp.rowCount).toBe(1)
    expect(viaHttp.fields.map((f) => [f.name, f.dataTypeID])).toEqual(viaPg.fields.map((f) => [f.name, f.dataTypeID]))
  })

  it('sends single statements over HTTP without opening a connection, and reports row counts', async () => {
    const scope = new RequestScope(source)
    const used = await traffic(async () => {
      const inserted = await scope.query(`INSERT INTO http_probe (id, note) VALUES (1, 'one'), (2, 'two')`)
      expect([inserted.command, inserted.rowCount]).toEqual(['INSERT', 2])
      const updated = await scope.query(`UPDATE http_probe SET note = note || '!' WHERE id = ANY($1::int[])`, [[1, 2]])
      expect(updated.rowCount).toBe(2)
    })
    expect(scope.holdsConnection).toBe(false)
    expect(scope.end()).toBeUndefined() // nothing to give back
    expect(used).toEqual({ http: 2, ws: 0 })
  })

  it('passes Postgres errors through with their SQLSTATE and fields', async () => {
    const scope = new RequestScope(source)
    const err = await scope.query(`INSERT INTO http_probe (id, note) VALUES (1, 'again')`).catch((e: unknown) => e)
    expect(sqlState(err)).toBe(UNIQUE_VIOLATION)
    expect(err).toMatchObject({ constraint: 'http_probe_pkey' })
    await scope.end()
  })

  it('runs a batch in one round trip, all or nothing', async () => {
    const scope = new RequestScope(source)
    const used = await traffic(async () => {
      const results = await scope.batch([
        { text: `INSERT INTO http_probe (id, note) VALUES ($1, $2)`, params: [10, 'ten'] },
        { text: `SELECT note FROM http_probe WHERE id = $1`, params: [10] },
      ])
      expect(results.map((r) => r.rows)).toEqual([[], [{ note: 'ten' }]])
      const failed = await scope
        .batch([
          { text: `INSERT INTO http_probe (id, note) VALUES (11, 'eleven')` },
          { text: `INSERT INTO http_probe (id, note) VALUES (10, 'duplicate')` },
        ])
        .catch((e: unknown) => e)
      expect(sqlState(failed)).toBe(UNIQUE_VIOLATION)
    })
    expect(used).toEqual({ http: 2, ws: 0 })
    const { rows } = await db.observer.query(`SELECT id FROM http_probe WHERE id IN (10, 11) ORDER BY id`)
    expect(rows).toEqual([{ id: 10 }]) // 11 rolled back with the failed batch
    await scope.end()
  })

  it('opens a WebSocket connection for an interactive transaction, then keeps using it', async () => {
    const scope = new RequestScope(source)
    const used = await traffic(async () => {
      await scope.withTransaction(async (tx) => {
        const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM http_probe`)
        await tx.query(`INSERT INTO http_probe (id, note) VALUES ($1, 'tx')`, [100 + rows[0]!.n])
        // Inside a transaction a batch is a savepoint: its failure leaves the transaction usable.
        await expect(tx.batch([{ text: `INSERT INTO http_probe (id, note) VALUES (1, 'dup')` }])).rejects.toMatchObject({ code: UNIQUE_VIOLATION })
      })
      await scope.query(`SELECT 1`) // on the connection now, not HTTP
    })
    expect(used).toEqual({ http: 0, ws: 1 })
    await scope.end()
    await waitFor(async () => (await db.connections(t.config.db.applicationName)).length === 0, 2000)
  })

  it('aborts a statement in flight when the scope is cut short', async () => {
    const scope = new RequestScope(source)
    const started = performance.now()
    const slow = scope.query(`SELECT pg_sleep(1)`).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 100))
    await scope.abort('request timed out')
    expect(await slow).toBeInstanceOf(ScopeClosedError)
    expect(performance.now() - started).toBeLessThan(900)
  })

  it('answers 503 + Retry-After when the database behind the endpoint is down', async () => {
    const u = await seedUser(db.observer)
    const deadDb = new URL(db.url)
    deadDb.port = '9'
    const app = testApp(deadDb.toString(), env())
    const res = await call(app, '/v1/me', { headers: u.auth })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    await app.close()
  })

  it('serves the API: most requests open no connection, and none is left afterwards', async () => {
    const u = await seedUser(db.observer, { credits: 3 })
    const used = await traffic(async () => {
      expect((await call(t, '/v1/contacts', json({ email: 'http@example.com', firstName: 'H' }, u.auth))).status).toBe(201)
      expect((await call(t, '/v1/contacts', { headers: u.auth })).body.items).toHaveLength(1)
      const campaign = await call(t, '/v1/campaigns', json({ name: 'h', fromEmail: 'a@example.com', subject: 's', body: 'b', allContacts: true }, u.auth))
      expect(campaign).toMatchObject({ status: 201, body: { contactCount: 1 } })
    })
    expect(used.ws).toBe(1) // the campaign's transaction; the rest went over HTTP
    expect(used.http).toBeGreaterThan(3)
    await waitFor(async () => (await db.connections(t.config.db.applicationName)).length === 0, 2000)
  })

  it('rejects an endpoint that is not an http(s) URL at start-up, naming the variable', () => {
    expect(() => loadConfig({ DATABASE_URL: db.url, DB_DRIVER: 'neon-http', NEON_HTTP_ENDPOINT: 'ftp://x/sql', OPS_TOKEN: 'x'.repeat(24) }, 'node')).toThrow(
      /NEON_HTTP_ENDPOINT/,
    )
    expect(loadConfig({ DATABASE_URL: db.url, NEON_HTTP_ENDPOINT: 'http://{host}:4444/sql', OPS_TOKEN: 'x'.repeat(24) }, 'node').db.neon.httpEndpoint).toBe(
      'http://{host}:4444/sql',
    )
  })

  // Last: Neon's endpoint setting is global to the process, and this points it at a closed port.
  it('turns an unreachable endpoint into DbUnavailableError', async () => {
    const closed = http.endpoint.replace(/:\d+\//, ':9/')
    const config = loadConfig({ DATABASE_URL: db.url, DB_DRIVER: 'neon-http', NEON_HTTP_ENDPOINT: closed, OPS_TOKEN: 'x'.repeat(24), DB_APPLICATION_NAME: uniqueAppName() }, 'node')
    const down = createConnectionSource(config.db, db.url, memoryLogger())
    const scope = new RequestScope(down)
    await expect(scope.query('SELECT 1')).rejects.toBeInstanceOf(DbUnavailableError)
    await scope.end()
    await down.end()
  })
})
