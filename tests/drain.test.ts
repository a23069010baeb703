/**
 * The promise at the heart of lowtide, measured on the real Node entry: connections drain to zero
 * after the idle timeout, per-request mode leaves none behind a response, and no timer outlives
 * the requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNodeServer } from '../functions/node.js'
import { loadConfig } from '../src/config.js'
import { memoryLogger } from '../src/logger.js'
import { freshDatabase, uniqueAppName, waitFor, type TestDatabase } from './helpers/db.js'
import { TEST_ENV } from './helpers/app.js'
import { plainRequest, runBounded } from './helpers/http.js'
import { seedUser } from './helpers/users.js'

let db: TestDatabase
let userId: string
let auth: Record<string, string>
beforeAll(async () => {
  db = await freshDatabase()
  ;({ id: userId, auth } = await seedUser(db.observer))
})
afterAll(() => db.drop())

const refedTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe('drain to zero through the Node entry', () => {
  it('shared pool: after 200 requests this app has 0 server connections within idle timeout + 1 s, and no timer left', async () => {
    const timersBefore = refedTimeouts()
    const appName = uniqueAppName('drain-pool')
    const idleTimeoutMs = 1000
    const config = loadConfig(
      { ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', DB_APPLICATION_NAME: appName, DB_IDLE_TIMEOUT_MS: String(idleTimeoutMs), DB_POOL_MAX: '5' },
      'node',
    )
    const server = await startNodeServer(config, { logger: memoryLogger() })

    const statuses = await runBounded(200, 10, async (i) => {
      const res = i % 4 === 0
        ? await plainRequest(`${server.url}/v1/contacts`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ email: `u${i}@example.com` }) })
        : await plainRequest(`${server.url}/v1/users/${userId}`, { headers: auth })
      return res.status
    })
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([])
    const lastResponseAt = performance.now()
    expect((await db.connections(appName)).length).toBeGreaterThan(0)

    await waitFor(async () => (await db.connections(appName)).length === 0, idleTimeoutMs + 1000, 25)
    const drainMs = performance.now() - lastResponseAt
    console.log(`[drain] shared pool: 0 connections ${Math.round(drainMs)} ms after the last response (idle timeout ${idleTimeoutMs} ms)`)
    expect(drainMs).toBeLessThanOrEqual(idleTimeoutMs + 1000)
    expect(server.connections.stats()).toMatchObject({ total: 0, idle: 0, waiting: 0 })

    // Nothing the app created keeps the event loop busy: same count of timers as before it started.
    expect(refedTimeouts()).toBeLessThanOrEqual(timersBefore)
    await server.close()
    expect(refedTimeouts()).toBeLessThanOrEqual(timersBefore)
  })

  it('connection per request: 0 server connections right after each response', async () => {
    const timersBefore = refedTimeouts()
    const appName = uniqueAppName('drain-per-request')
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', DB_APPLICATION_NAME: appName, DB_CONNECTION_MODE: 'per-request' }, 'node')
    const server = await startNodeServer(config, { logger: memoryLogger() })
    for (let i = 0; i < 20; i++) {
      const res = await plainRequest(`${server.url}/v1/users/${userId}`, { headers: auth })
      expect(res.status).toBe(200)
      expect(await db.connections(appName)).toEqual([])
    }
    expect(server.connections.stats()).toMatchObject({ total: 0, acquires: 20 })
    await server.close()
    expect(refedTimeouts()).toBeLessThanOrEqual(timersBefore)
  })

  it('a client that disconnects mid-request gets its statement cancelled and its connection released', async () => {
    const appName = uniqueAppName('drain-abort')
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', DB_APPLICATION_NAME: appName, DB_IDLE_TIMEOUT_MS: '500' }, 'node')
    const server = await startNodeServer(config, {
      logger: memoryLogger(),
      extend: (app) => app.get('/test/sleep', async (c) => c.json((await c.get('db').query('SELECT pg_sleep(20)')).rows)),
    })
    const controller = new AbortController()
    const request = plainRequest(`${server.url}/test/sleep`, { signal: controller.signal }).catch((e: Error) => e)
    await waitFor(async () => (await db.connections(appName)).some((r) => r.query.includes('pg_sleep') && r.state === 'active'), 5000)
    controller.abort()
    expect(await request).toBeInstanceOf(Error)
    // Cancelled on the server (not left running for 20 s) and the connection closed, not pooled.
    await waitFor(async () => !(await db.connections(appName)).some((r) => r.query.includes('pg_sleep') && r.state === 'active'), 2000)
    await waitFor(async () => server.connections.stats().total === 0, 2000)
    await server.close()
  })

  it('a request past REQUEST_TIMEOUT_MS gets 504, its statement cancelled, and no timer is left', async () => {
    const timersBefore = refedTimeouts()
    const appName = uniqueAppName('drain-timeout')
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: db.url, PORT: '0', DB_APPLICATION_NAME: appName, REQUEST_TIMEOUT_MS: '300', DB_IDLE_TIMEOUT_MS: '500' }, 'node')
    const server = await startNodeServer(config, {
      logger: memoryLogger(),
      extend: (app) => app.get('/test/sleep', async (c) => c.json((await c.get('db').query('SELECT pg_sleep(20)')).rows)),
    })
    const responses = await Promise.all([1, 2, 3].map(() => plainRequest(`${server.url}/test/sleep`)))
    expect(responses.map((r) => [r.status, JSON.parse(r.body).error.code])).toEqual(Array(3).fill([504, 'request_timeout']))
    await waitFor(async () => !(await db.connections(appName)).some((r) => r.query.includes('pg_sleep') && r.state === 'active'), 2000)
    await waitFor(async () => (await db.connections(appName)).length === 0, 2000)
    expect(refedTimeouts()).toBeLessThanOrEqual(timersBefore)
    await server.close()
  })
})
