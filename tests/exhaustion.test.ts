/** Pool exhausted → a bounded wait, then 503 + Retry-After; never a hang, never a leak. */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startNodeServer } from '../functions/node.js'
import { loadConfig } from '../src/config.js'
import { memoryLogger } from '../src/logger.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'
import { plainRequest } from './helpers/http.js'

let db: TestDatabase
beforeAll(async () => {
  db = await freshDatabase()
})
afterAll(() => db.drop())

it('pool max 2, 20 concurrent slow requests, connect timeout 300 ms: every answer is 200 or 503 + Retry-After, 0 leaked', async () => {
  const appName = uniqueAppName('exhaust')
  const config = loadConfig(
    { DATABASE_URL: db.url, PORT: '0', DB_APPLICATION_NAME: appName, DB_POOL_MAX: '2', DB_CONNECT_TIMEOUT_MS: '300', DB_IDLE_TIMEOUT_MS: '500' },
    'node',
  )
  const logger = memoryLogger()
  const server = await startNodeServer(config, {
    logger,
    extend: (app) => app.get('/test/slow', async (c) => c.json((await c.get('db').query('SELECT pg_sleep(0.4) AS slept')).rows[0])),
  })

  const started = performance.now()
  const responses = await Promise.all(Array.from({ length: 20 }, () => plainRequest(`${server.url}/test/slow`)))
  const elapsed = performance.now() - started

  const ok = responses.filter((r) => r.status === 200)
  const unavailable = responses.filter((r) => r.status === 503)
  expect(ok.length + unavailable.length).toBe(20)
  expect(ok.length).toBeGreaterThanOrEqual(2)
  expect(unavailable.length).toBeGreaterThan(0)
  for (const r of unavailable) {
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(JSON.parse(r.body).error.code).toBe('db_unavailable')
  }
  // Bounded: nobody waited much past the connect timeout behind two 0.4 s holders.
  expect(elapsed).toBeLessThan(5000)
  expect(logger.records.some((r) => r.msg === 'connection pool under pressure')).toBe(true)

  const stats = server.connections.stats()
  expect(stats.waiting).toBe(0)
  expect(stats.total - stats.idle).toBe(0)
  expect(stats.timeouts).toBe(unavailable.length)
  expect((await db.connections(appName)).length).toBeLessThanOrEqual(2)
  await waitFor(async () => (await db.connections(appName)).length === 0, 500 + 1000)
  await server.close()
})
