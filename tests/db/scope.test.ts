import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import { createPoolSource } from '../../src/db/drivers/pool.js'
import { DbUnavailableError, ScopeClosedError } from '../../src/db/errors.js'
import { RequestScope } from '../../src/db/scope.js'
import type { ConnectionSource } from '../../src/db/types.js'
import { memoryLogger } from '../../src/logger.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from '../helpers/db.js'

let db: TestDatabase
beforeAll(async () => {
  db = await freshDatabase()
  await db.observer.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)')
})
afterAll(() => db.drop())

function pool(env: Record<string, string> = {}) {
  const appName = uniqueAppName('scope')
  const config = loadConfig({ DATABASE_URL: db.url, DB_APPLICATION_NAME: appName, ...env }, 'node')
  const logger = memoryLogger()
  const source = createPoolSource({ db: config.db, connectionString: db.url, logger })
  return { source, logger, appName }
}

const checkedOut = (s: ConnectionSource) => s.stats().total - s.stats().idle
const notes = async () => (await db.observer.query<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body)

describe('request scope', () => {
  it('acquires nothing until the first query', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await scope.end()
    expect(source.stats().acquires).toBe(0)
    await source.end()
  })

  it('holds one connection for all queries of a request and releases it at the end', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    const [a, b] = await Promise.all([scope.query('SELECT pg_backend_pid() AS pid'), scope.query('SELECT pg_backend_pid() AS pid')])
    expect(a.rows[0]!.pid).toBe(b.rows[0]!.pid)
    expect(source.stats().acquires).toBe(1)
    expect(checkedOut(source)).toBe(1)
    await scope.end()
    expect(checkedOut(source)).toBe(0)
    expect(source.stats().idle).toBe(1)
    await source.end()
  })

  it('gives a pooled connection back while the work waits, and takes one again for the next statement — never inside a transaction', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await scope.query('SELECT 1')
    expect(checkedOut(source)).toBe(1)
    await scope.yieldConnection()
    expect(checkedOut(source)).toBe(0)
    await scope.query('SELECT 1')
    expect([checkedOut(source), source.stats().acquires]).toEqual([1, 2])
    await scope.withTransaction(async (tx) => {
      await tx.query('SELECT 1')
      await scope.yieldConnection()
      await tx.yieldConnection()
      expect(checkedOut(source)).toBe(1)
      await tx.query('SELECT 1') // still the transaction's connection
    })
    await scope.end()
    expect(checkedOut(source)).toBe(0)
    await source.end()
  })

  it('keeps a per-request connection while the work waits (closing and reopening costs more than it frees)', async () => {
    const config = loadConfig({ DATABASE_URL: db.url, DB_APPLICATION_NAME: uniqueAppName('scope'), DB_CONNECTION_MODE: 'per-request' }, 'node')
    const source = createConnectionSource(config.db, db.url, memoryLogger())
    const scope = new RequestScope(source)
    await scope.query('SELECT 1')
    await scope.yieldConnection()
    expect([source.stats().total, source.stats().acquires]).toEqual([1, 1])
    await scope.end()
    await source.end()
  })

  it('releases the connection when the handler throws', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    const handler = async () => {
      await scope.query('SELECT 1')
      throw new Error('handler failed')
    }
    await expect(handler().finally(() => scope.end())).rejects.toThrow('handler failed')
    expect(checkedOut(source)).toBe(0)
    await source.end()
  })

  it('refuses queries after it has ended', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await scope.query('SELECT 1')
    await scope.end()
    await expect(scope.query('SELECT 1')).rejects.toBeInstanceOf(ScopeClosedError)
    await source.end()
  })

  it('on abort (timeout, client gone) cancels the running statement on the server and closes its connection', async () => {
    const { source, appName } = pool()
    const scope = new RequestScope(source)
    const slow = scope.query('SELECT pg_sleep(30)').catch((e: unknown) => e)
    await waitFor(async () => (await db.connections(appName)).some((r) => r.state === 'active' && r.query.includes('pg_sleep')), 5000)
    await scope.abort('request timed out')
    expect(await slow).toBeInstanceOf(Error)
    // Cancelled, not left running, and the connection is not returned to the pool.
    await waitFor(async () => (await db.connections(appName)).length === 0, 2000)
    expect(source.stats().total).toBe(0)
    await source.end()
  })

  it('closes rather than pools a connection left inside a transaction', async () => {
    const { source, appName } = pool()
    const scope = new RequestScope(source)
    const stuck = scope.withTransaction(async (tx) => {
      await tx.query(`INSERT INTO notes (body) VALUES ('never committed')`)
      await tx.query('SELECT pg_sleep(30)')
    }).catch((e: unknown) => e)
    await waitFor(async () => (await db.connections(appName)).some((r) => r.query.includes('pg_sleep')), 5000)
    await scope.abort('client closed the connection')
    expect(await stuck).toBeInstanceOf(Error)
    await waitFor(async () => (await db.connections(appName)).length === 0, 2000)
    expect(await notes()).not.toContain('never committed')
    await source.end()
  })
})

describe('transactions', () => {
  it('commits on success and rolls back on throw', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await scope.withTransaction(async (tx) => {
      await tx.query(`INSERT INTO notes (body) VALUES ('committed')`)
    })
    await expect(
      scope.withTransaction(async (tx) => {
        await tx.query(`INSERT INTO notes (body) VALUES ('rolled back')`)
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    await scope.end()
    expect(await notes()).toContain('committed')
    expect(await notes()).not.toContain('rolled back')
    await source.end()
  })

  it('nests through savepoints: an inner failure rolls back only the inner part', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await scope.withTransaction(async (tx) => {
      await tx.query(`INSERT INTO notes (body) VALUES ('outer kept')`)
      await expect(
        tx.withTransaction(async (inner) => {
          await inner.query(`INSERT INTO notes (body) VALUES ('inner dropped')`)
          await inner.withTransaction(async (deepest) => {
            await deepest.query(`INSERT INTO notes (body) VALUES ('deepest dropped')`)
          })
          throw new Error('inner failed')
        }),
      ).rejects.toThrow('inner failed')
      await tx.withTransaction(async (inner) => {
        await inner.query(`INSERT INTO notes (body) VALUES ('second inner kept')`)
      })
    })
    await scope.end()
    const rows = await notes()
    expect(rows).toEqual(expect.arrayContaining(['outer kept', 'second inner kept']))
    expect(rows).not.toContain('inner dropped')
    expect(rows).not.toContain('deepest dropped')
    expect(checkedOut(source)).toBe(0)
    await source.end()
  })

  it('an outer failure rolls back committed savepoints too', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await expect(
      scope.withTransaction(async (tx) => {
        await tx.withTransaction(async (inner) => {
          await inner.query(`INSERT INTO notes (body) VALUES ('inside failed outer')`)
        })
        throw new Error('outer failed')
      }),
    ).rejects.toThrow('outer failed')
    await scope.end()
    expect(await notes()).not.toContain('inside failed outer')
    await source.end()
  })

  it('runs a batch all or nothing: a transaction on the scope, a savepoint inside one', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    const results = await scope.batch([
      { text: `INSERT INTO notes (body) VALUES ($1)`, params: ['batch one'] },
      { text: `SELECT count(*)::int AS n FROM notes WHERE body = $1`, params: ['batch one'] },
    ])
    expect(results.map((r) => r.rows)).toEqual([[], [{ n: 1 }]])
    await expect(scope.batch([{ text: `INSERT INTO notes (body) VALUES ('batch two')` }, { text: `INSERT INTO notes (body) VALUES (NULL)` }])).rejects.toMatchObject({
      code: '23502',
    })
    await scope.withTransaction(async (tx) => {
      await expect(tx.batch([{ text: `INSERT INTO notes (body) VALUES ('batch three')` }, { text: 'SELECT 1/0' }])).rejects.toMatchObject({ code: '22012' })
      await tx.query(`INSERT INTO notes (body) VALUES ('after the failed batch')`) // the transaction goes on
    })
    await scope.end()
    const all = await notes()
    expect(all).toEqual(expect.arrayContaining(['batch one', 'after the failed batch']))
    expect(all).not.toContain('batch two')
    expect(all).not.toContain('batch three')
    expect(checkedOut(source)).toBe(0)
    await source.end()
  })

  it('refuses a second top-level transaction on the same scope while one is open', async () => {
    const { source } = pool()
    const scope = new RequestScope(source)
    await scope.withTransaction(async () => {
      await expect(scope.withTransaction(async () => undefined)).rejects.toThrow(/already open/)
    })
    await scope.end()
    await source.end()
  })
})

describe('pool metrics and limits', () => {
  it('records acquire wait and hold times', async () => {
    const { source } = pool()
    for (let i = 0; i < 3; i++) {
      const scope = new RequestScope(source)
      await scope.query('SELECT pg_sleep(0.02)')
      await scope.end()
    }
    const stats = source.stats()
    expect(stats.acquires).toBe(3)
    expect(stats.holdMs.max).toBeGreaterThanOrEqual(15)
    expect(stats.acquireWaitMs.max).toBeGreaterThanOrEqual(0)
    await source.end()
  })

  it('warns when utilization passes 80 % or requests wait', async () => {
    const { source, logger } = pool({ DB_POOL_MAX: '2' })
    const scopes = [new RequestScope(source), new RequestScope(source)]
    await Promise.all(scopes.map((s) => s.query('SELECT 1')))
    const third = new RequestScope(source)
    const waiting = third.query('SELECT 1')
    await scopes[0]!.end()
    await waiting
    expect(logger.records.some((r) => r.level === 'warn' && r.msg === 'connection pool under pressure')).toBe(true)
    await Promise.all([scopes[1]!.end(), third.end()])
    await source.end()
  })

  it('names the acquisition site of a connection held past DB_LEAK_WARN_MS', async () => {
    const { source, logger } = pool({ DB_LEAK_WARN_MS: '50' })
    const leaky = new RequestScope(source, () => 'GET /reports/:id')
    async function forgetfulReportHandler() {
      await leaky.query('SELECT 1')
    }
    await forgetfulReportHandler()
    await new Promise((r) => setTimeout(r, 120))
    // The next acquire looks over what is checked out: no timer needed to notice the leak.
    const next = new RequestScope(source)
    await next.query('SELECT 1')
    const warning = logger.records.find((r) => r.msg === 'possible connection leak')
    expect(warning).toBeDefined()
    expect(warning!.acquiredBy).toBe('GET /reports/:id')
    expect(String(warning!.acquiredAt)).toMatch(/forgetfulReportHandler/)
    expect(warning!.heldMs).toBeGreaterThanOrEqual(50)
    await Promise.all([leaky.end(), next.end()])
    await source.end()
  })

  it('gives up after the connect timeout when the pool is exhausted', async () => {
    const { source } = pool({ DB_POOL_MAX: '1', DB_CONNECT_TIMEOUT_MS: '200' })
    const holder = new RequestScope(source)
    await holder.query('SELECT 1')
    const started = performance.now()
    const waiter = new RequestScope(source)
    const err = await waiter.query('SELECT 1').catch((e: unknown) => e)
    const waited = performance.now() - started
    expect(err).toBeInstanceOf(DbUnavailableError)
    expect((err as DbUnavailableError).reason).toBe('pool_exhausted')
    expect(waited).toBeGreaterThanOrEqual(150)
    expect(waited).toBeLessThan(2000)
    await Promise.all([holder.end(), waiter.end()])
    expect(source.stats().waiting).toBe(0)
    await source.end()
  })
})
