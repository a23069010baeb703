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
}

/**
 * `TEST_DB_DRIVER=neon-ws` runs every testApp through Neon's WebSocket driver and a local proxy
 * (`npm run test:neon`): the same suites, another driver.
 */
let neonProxy: Promise<{ template: string }> | undefined
function driverEnv(): Env {
  if (process.env.TEST_DB_DRIVER !== 'neon-ws') return {}
  if (!neonProxyTemplate) throw new Error('TEST_DB_DRIVER=neon-ws needs the proxy: await useNeonProxyIfAsked() first (tests/setup/driver.ts does)')
  return { DB_DRIVER: 'neon-ws', NEON_WS_PROXY: neonProxyTemplate, NEON_WS_INSECURE: '1' }
}
let neonProxyTemplate: string | undefined
export async function useNeonProxyIfAsked(): Promise<void> {
  if (process.env.TEST_DB_DRIVER !== 'neon-ws') return
  neonProxy ??= import('./neon-proxy.js').then((m) => m.startNeonProxy())
  neonProxyTemplate = (await neonProxy).template
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
