import { createApp, type App } from '../../src/app.js'
import { loadConfig, type Config, type Env } from '../../src/config.js'
import { createConnectionSource } from '../../src/db/connections.js'
import type { ConnectionSource } from '../../src/db/types.js'
import type { EmailTransport } from '../../src/domain/emails/transport.js'
import { memoryLogger } from '../../src/logger.js'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import { uniqueAppName } from './db.js'

export const TEST_OPS_TOKEN = 'test-ops-token-0123456789'

export interface TestApp {
  app: App
  config: Config
  connections: ConnectionSource
  logger: ReturnType<typeof memoryLogger>
  close(): Promise<void>
  /** The same app (config, pool, logger) with a schedule registry: task endpoints enabled. */
  withSchedules(schedules: readonly ScheduleEntry[], email?: EmailTransport): TestApp
}

/**
 * Test defaults: rate limits off (the rate-limit tests turn them on) and cheap password hashing.
 * Spread into any env a test builds itself.
 */
export const TEST_ENV: Env = {
  RATE_LIMIT_API: 'off',
  RATE_LIMIT_ADMIN: 'off',
  RATE_LIMIT_AUTH: 'off',
  RATE_LIMIT_CAMPAIGN_CREATE: 'off',
  RATE_LIMIT_CAMPAIGN_START: 'off',
  AUTH_PBKDF2_ITERATIONS: '1000',
  // The suites replay fixed occurrences (2026's daylight-saving changes, a July night): the ledger
  // keeps runs for ten years here, so those stay within the times a trigger may name.
  TASK_LEDGER_RETENTION_DAYS: '3650',
}

/**
 * `TEST_DB_DRIVER=neon-ws` (or `neon-http`) runs every testApp through Neon's driver, a local
 * WebSocket proxy and, for `neon-http`, a local SQL-over-HTTP server (`npm run test:neon`,
 * `npm run test:neon-http`): the same suites, another driver.
 */
const neonDriver = process.env.TEST_DB_DRIVER === 'neon-ws' || process.env.TEST_DB_DRIVER === 'neon-http' ? process.env.TEST_DB_DRIVER : undefined
let neonServers: Promise<Env> | undefined
let neonEnv: Env | undefined
function driverEnv(): Env {
  if (process.env.TEST_DB_DRIVER === 'postgres') return { DB_DRIVER: 'postgres' }
  if (!neonDriver) return {}
  if (!neonEnv) throw new Error(`TEST_DB_DRIVER=${neonDriver} needs its servers: await useNeonProxyIfAsked() first (tests/setup/driver.ts does)`)
  return neonEnv
}
/** The same driver settings as Worker bindings (tests/helpers/worker.ts), so workerd runs through it too. */
export function driverBindings(): Record<string, string> {
  return driverEnv() as Record<string, string>
}
export async function useNeonProxyIfAsked(): Promise<void> {
  if (!neonDriver) return
  neonServers ??= startNeonServers(neonDriver)
  neonEnv = await neonServers
}
/** The local stand-ins Neon's driver `driver` needs, and the env that points the app at them. */
export async function startNeonServers(driver: 'neon-ws' | 'neon-http'): Promise<Env> {
  const proxy = await (await import('../../tools/lib/neon-proxy.js')).startNeonProxy()
  const env: Env = {
    DB_DRIVER: driver,
    NEON_WS_PROXY: proxy.template,
    NEON_WS_INSECURE: '1',
    // The test Postgres asks for SCRAM, which Neon's driver computes as 4 096 separate WebCrypto HMAC
    // calls: ~80 ms of work per connection on Node, so the suites' 50–60 simultaneous connects need
    // more than the 2 s default. (Neon's own endpoints skip SCRAM: pipelineConnect sends the password.)
    DB_CONNECT_TIMEOUT_MS: '20000',
  }
  if (driver === 'neon-http') env.NEON_HTTP_ENDPOINT = (await (await import('../../tools/lib/neon-http-server.js')).startNeonHttpServer()).endpoint
  return env
}

/** The real app over a real pool on `url`, driven with `app.request()` (no server). */
export function testApp(
  url: string,
  env: Env = {},
  clientIp = '203.0.113.7',
  wrapSource: (source: ConnectionSource) => ConnectionSource = (s) => s,
): TestApp {
  const config = loadConfig(
    { DATABASE_URL: url, OPS_TOKEN: TEST_OPS_TOKEN, DB_APPLICATION_NAME: uniqueAppName(), LOG_LEVEL: 'debug', ...TEST_ENV, ...driverEnv(), ...env },
    'node',
  )
  const logger = memoryLogger()
  const connections = wrapSource(createConnectionSource(config.db, url, logger))
  const build = (schedules: readonly ScheduleEntry[] = [], email?: EmailTransport): TestApp => ({
    app: createApp({ config, logger, connections, clientIp: () => clientIp, schedules, email }),
    config,
    connections,
    logger,
    close: () => connections.end(),
    withSchedules: build,
  })
  return build()
}

export const json = (body: unknown, headers: Record<string, string> = {}, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

/** Status and parsed JSON body (null for an empty body). */
export async function call(t: TestApp, path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await t.app.request(path, init)
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
}
