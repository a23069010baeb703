/**
 * The pool checks a connection that sat idle before a request gets it (src/db/drivers/idle-check.ts):
 * the verdicts by idle time, and the pool replacing connections the network forgot or black-holed
 * (a fault proxy between the pool and Postgres) without a request ever seeing them.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { IdleCheck } from '../../src/db/drivers/idle-check.js'
import { createPoolSource } from '../../src/db/drivers/pool.js'
import { memoryLogger } from '../../src/logger.js'
import { uniqueAppName } from '../helpers/db.js'
import { proxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-db.js'

describe('IdleCheck verdicts', () => {
  let now = 0
  const check = new IdleCheck({ checkAfterMs: 1000, idleTimeoutMs: 10_000, timeoutMs: 50 }, () => now)
  const client = (answer: () => Promise<unknown>) => ({ query: answer }) as unknown as pg.PoolClient

  it('uses a new or recently used connection, checks one idle past the window, drops one idle past the idle timeout', () => {
    const c = client(() => Promise.resolve())
    expect(check.verdict(c)).toBe('use') // never released: new
    now = 5000
    check.released(c)
    now = 5999
    expect(check.verdict(c)).toBe('use')
    now = 6000
    expect(check.verdict(c)).toBe('check')
    now = 15_000
    expect(check.verdict(c)).toBe('drop')
  })

  it('fails a check that gets no answer in time, and then distrusts connections idle since before it', async () => {
    const silent = client(() => new Promise(() => undefined))
    const older = client(() => Promise.resolve())
    now = 20_000
    check.released(older)
    check.released(silent)
    now = 22_000
    expect(check.verdict(silent)).toBe('check')
    await expect(check.check(silent)).rejects.toThrow(/no answer to SELECT 1 within 50 ms/)
    expect(check.verdict(older)).toBe('drop')
    const fresh = client(() => Promise.resolve())
    now = 22_001
    check.released(fresh)
    now = 23_500
    expect(check.verdict(fresh)).toBe('check')
    await expect(check.check(fresh)).resolves.toBeUndefined()
  })
})

describe('a pool whose idle connections died', () => {
  let target: ProxiedDatabase
  beforeAll(async () => {
    target = await proxiedDatabase()
  })
  afterAll(() => target.close())

  const poolThroughProxy = () => {
    const config = loadConfig({ DATABASE_URL: target.url, DB_APPLICATION_NAME: uniqueAppName(), DB_CHECK_IDLE_AFTER_MS: '100', DB_CONNECT_TIMEOUT_MS: '1000' }, 'node')
    const logger = memoryLogger()
    return { source: createPoolSource({ db: config.db, connectionString: target.url, logger }), logger }
  }
  /** Two connections out at once and back, so the pool holds two idle ones. */
  const holdTwo = async (source: ReturnType<typeof createPoolSource>) => {
    const [a, b] = [await source.acquire(), await source.acquire()]
    for (const lease of [a, b]) await lease.client.query('SELECT 1')
    a.release()
    b.release()
  }

  it.each([
    ['forgot', 'forget'],
    ['black-holed', 'blackhole'],
  ] as const)('replaces connections the network %s before a query runs on them', async (_label, fault) => {
    const { source, logger } = poolThroughProxy()
    try {
      await holdTwo(source)
      target.proxy[fault]()
      await new Promise((r) => setTimeout(r, 150))
      const started = performance.now()
      const lease = await source.acquire()
      const { rows } = await lease.client.query<{ one: number }>('SELECT 1 AS one')
      lease.release()
      expect(rows).toEqual([{ one: 1 }])
      // One connection failed its check, the other was dropped unchecked as idle since before it.
      expect(source.stats()).toMatchObject({ staleReplaced: 2, total: 1 })
      // A black-holed check waits half the connect timeout, once.
      expect(performance.now() - started).toBeLessThan(fault === 'blackhole' ? 1000 : 400)
      expect(logger.records.filter((r) => r.msg === 'dead pooled connection replaced')).toHaveLength(2)
    } finally {
      await source.end()
    }
  })

  it('checks nothing when connections are reused within the window', async () => {
    const { source } = poolThroughProxy()
    try {
      for (let i = 0; i < 20; i++) {
        const lease = await source.acquire()
        await lease.client.query('SELECT 1')
        lease.release()
      }
      expect(source.stats()).toMatchObject({ staleReplaced: 0, total: 1, acquires: 20 })
    } finally {
      await source.end()
    }
  })
})
