/**
 * Cancelling a running statement (what a request scope does on timeout or client abort) opens a
 * socket of its own to the server. On a network that holds every byte, that must not hold the
 * request's connection — and the pool slot — until the network comes back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createPoolSource } from '../../src/db/drivers/pool.js'
import { QUERY_CANCELED } from '../../src/db/errors.js'
import { silentLogger } from '../../src/logger.js'
import { uniqueAppName } from '../helpers/db.js'
import { proxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-db.js'

let target: ProxiedDatabase
beforeAll(async () => {
  target = await proxiedDatabase()
})
afterAll(() => target.close())

const source = () => {
  const config = loadConfig({ DATABASE_URL: target.url, DB_APPLICATION_NAME: uniqueAppName(), DB_CONNECT_TIMEOUT_MS: '500' }, 'node')
  return createPoolSource({ db: config.db, connectionString: target.url, logger: silentLogger })
}

it('cancels a running statement', async () => {
  const pool = source()
  const lease = await pool.acquire()
  const running = lease.client.query('SELECT pg_sleep(30)').catch((err: { code?: string }) => err.code)
  await new Promise((r) => setTimeout(r, 100))
  await pool.cancel(lease.client)
  expect(await running).toBe(QUERY_CANCELED)
  lease.release()
  await pool.end()
})

it('gives up on the cancel within the connect timeout when the network holds every byte', async () => {
  const pool = source()
  const lease = await pool.acquire()
  const running = lease.client.query('SELECT pg_sleep(30)').catch(() => undefined)
  await new Promise((r) => setTimeout(r, 100))
  target.proxy.stall()
  try {
    const started = performance.now()
    await pool.cancel(lease.client)
    expect(performance.now() - started).toBeLessThan(1500)
  } finally {
    lease.release(true)
    target.proxy.resume()
    target.proxy.cut('reset')
    await running
    await pool.end()
  }
})
