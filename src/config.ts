/**
 * Environment → typed configuration, validated once with zod. Every entry (Node, Lambda, Worker)
 * goes through `loadConfig`; a bad value fails fast with a message naming the variable.
 */
import { z } from 'zod'

export type Platform = 'node' | 'lambda' | 'worker'
export type ConnectionMode = 'pool' | 'per-request'
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface DbConfig {
  /** `postgres://…`; may be absent only where a platform supplies one (Hyperdrive, embedded dev database). */
  url: string | undefined
  /** `pool`: one shared `pg.Pool` (Node, Lambda). `per-request`: a connection opened and closed per request (Workers). */
  mode: ConnectionMode
  /** @default 5 on Node, 2 on Lambda */
  poolMax: number
  /** A pooled connection idle this long is closed. @default 10000 */
  idleTimeoutMs: number
  /** A pooled connection older than this is retired on release; 0 disables. @default 3600 */
  maxLifetimeS: number
  /** Upper bound on connecting *and* on waiting for a free pooled connection. @default 2000 */
  connectTimeoutMs: number
  /** Server-side `statement_timeout`; 0 disables. @default 20000 */
  statementTimeoutMs: number
  /** A connection held longer than this logs a leak warning with its acquisition site. @default 10000 */
  leakWarnMs: number
  /** Shown in `pg_stat_activity.application_name`. @default "lowtide" */
  applicationName: string
}

export interface Config {
  platform: Platform
  port: number
  host: string
  opsToken: string | undefined
  opsAllowIps: string[]
  requestTimeoutMs: number
  bodyLimitBytes: number
  logLevel: LogLevel
  db: DbConfig
}

export type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`)
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const int = (min: number, max: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).optional())

const envSchema = z.object({
  DATABASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  PORT: int(0, 65535),
  HOST: z.preprocess(blankToUndefined, z.string().optional()),
  OPS_TOKEN: z.preprocess(blankToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  OPS_ALLOW_IPS: z.preprocess(blankToUndefined, z.string().optional()),
  REQUEST_TIMEOUT_MS: int(1, 15 * 60_000),
  BODY_LIMIT_BYTES: int(1, 100 * 1024 * 1024),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional()),
  DB_CONNECTION_MODE: z.preprocess(blankToUndefined, z.enum(['pool', 'per-request']).optional()),
  DB_POOL_MAX: int(1, 1000),
  DB_IDLE_TIMEOUT_MS: int(1, 24 * 3600_000),
  DB_MAX_LIFETIME_S: int(0, 7 * 24 * 3600),
  DB_CONNECT_TIMEOUT_MS: int(1, 120_000),
  DB_STATEMENT_TIMEOUT_MS: int(0, 24 * 3600_000),
  DB_LEAK_WARN_MS: int(1, 24 * 3600_000),
  DB_APPLICATION_NAME: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(63)
      .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
      .optional(),
  ),
})

/** Never echoed back in an error message. */
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'OPS_TOKEN'])

const ipOrCidr = /^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/

export function loadConfig(env: Env, platform: Platform): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(env)'),
        message: SECRET_VARIABLES.has(String(issue.path[0]))
          ? issue.message
          : `${issue.message} (got ${JSON.stringify(env[String(issue.path[0])] ?? null)})`,
      })),
    )
  }
  const e = parsed.data
  const opsAllowIps = (e.OPS_ALLOW_IPS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const badIp = opsAllowIps.find((ip) => !ipOrCidr.test(ip))
  if (badIp) {
    throw new ConfigError([{ variable: 'OPS_ALLOW_IPS', message: `not an IP address or CIDR range: ${JSON.stringify(badIp)}` }])
  }

  return {
    platform,
    port: e.PORT ?? 8787,
    host: e.HOST ?? '127.0.0.1',
    opsToken: e.OPS_TOKEN,
    opsAllowIps,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS ?? 30_000,
    bodyLimitBytes: e.BODY_LIMIT_BYTES ?? 1024 * 1024,
    logLevel: e.LOG_LEVEL ?? 'info',
    db: {
      url: e.DATABASE_URL,
      mode: e.DB_CONNECTION_MODE ?? (platform === 'worker' ? 'per-request' : 'pool'),
      poolMax: e.DB_POOL_MAX ?? (platform === 'lambda' ? 2 : 5),
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS ?? 10_000,
      maxLifetimeS: e.DB_MAX_LIFETIME_S ?? 3600,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS ?? 2000,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS ?? 20_000,
      leakWarnMs: e.DB_LEAK_WARN_MS ?? 10_000,
      applicationName: e.DB_APPLICATION_NAME ?? 'lowtide',
    },
  }
}
