/**
 * DB_DRIVER=postgres on a network that swallows every byte of the live connections (a dead route):
 * the request's deadline aborts its scope, and the connections it was using must be closed — a
 * statement on the shared pool once its cancel goes unanswered, a reserved (transaction) connection
 * at once — so no pool slot waits for TCP to notice, which takes many minutes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import { RequestScope } from '../../src/db/scope.js'
import type { ConnectionSource } from '../../src/db/types.js'
import { memoryLogger } from '../../src/logger.js'
import { uniqueAppName, waitFor } from '../helpers/db.js'
import { proxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-db.js'

let target: ProxiedDatabase
const sources: ConnectionSource[] = []
beforeAll(async () => {
  target = await proxiedDatabase()
})
afterAll(async () => {
  await Promise.all(sources.map((s) => s.end()))
  await target.close()
})

const CONNECT_TIMEOUT_MS = 800
function source(): ConnectionSource {
  const config = loadConfig({ DATABASE_URL: target.url, DB_DRIVER: 'postgres', DB_APPLICATION_NAME: uniqueAppName('pgjs-hole'), DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DB_POOL_MAX: '2' }, 'node')
  const s = createConnectionSource(config.db, target.url, memoryLogger())
  sources.push(s)
  return s
}

const stillOpen = () => target.proxy.blackholed().filter((h) => !h.clientClosed).length

it.each([
  ['a statement on the pool', (scope: RequestScope) => scope.query('SELECT pg_sleep(30)')],
  ['a statement inside a transaction', (scope: RequestScope) => scope.withTransaction((tx) => tx.query('SELECT pg_sleep(30)'))],
])('closes the black-holed connection of %s once the scope is aborted, and the pool serves the next request', async (_, run) => {
  const pool = source()
  // Warm the pool, so the statement goes out on an established connection.
  const warm = new RequestScope(pool)
  await warm.query('SELECT 1')
  await warm.end()
  const scope = new RequestScope(pool)
  const running = run(scope).catch((err: Error) => err)
  await new Promise((r) => setTimeout(r, 100))
  target.proxy.blackhole()
  const aborted = performance.now()
  await scope.abort('request timed out')
  // The swallowed cancel is given up within the connect timeout, then the connection is closed
  // (postgres.js's own default would wait 5 s; TCP, many minutes).
  const bound = 2 * CONNECT_TIMEOUT_MS + 1000
  await waitFor(async () => stillOpen() === 0, bound, 50).catch(() => undefined)
  expect(stillOpen()).toBe(0)
  expect(performance.now() - aborted).toBeLessThan(bound)
  expect(await running).toBeInstanceOf(Error)
  const next = new RequestScope(pool)
  expect((await next.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }])
  await next.end()
  await pool.end()
}, 20_000)
