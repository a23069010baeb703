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
  /** A pooled connection idle this long answers `SELECT 1` (within half the connect timeout) before a request gets it. @default 1000 */
  checkIdleAfterMs: number
  /** Server-side `statement_timeout`; 0 disables. @default 20000 */
  statementTimeoutMs: number
  /** A connection held longer than this logs a leak warning with its acquisition site. @default 10000 */
  leakWarnMs: number
  /** Shown in `pg_stat_activity.application_name`. @default "lowtide" */
  applicationName: string
  /**
   * `pg` (TCP; Workers through `cloudflare:sockets`); `neon-ws`: Neon's serverless driver over
   * WebSocket, a connection per request; `neon-http`: single statements and batches over Neon's
   * SQL-over-HTTP, interactive transactions over `neon-ws`. @default "pg"
   */
  driver: 'pg' | 'neon-ws' | 'neon-http'
  neon: {
    /** Where `neon-http` posts statements: a URL, `{host}`/`{port}` filled from DATABASE_URL; Neon's own by default. */
    httpEndpoint: string | undefined
    /** `host:port/path?address={host}:{port}` of a WebSocket-to-TCP proxy; Neon's own by default. */
    wsProxy: string | undefined
    /** Plain `ws://` to the proxy, no TLS inside: a local proxy only. */
    insecure: boolean
  }
}

/** `max` requests per `windowS` seconds; `undefined` when the limit is turned off. */
export interface RateLimitRule {
  max: number
  windowS: number
}

export interface RateLimitConfig {
  /** Every `/v1` request, per client IP. @default 100 per 15 min */
  api: RateLimitRule | undefined
  /** `/v1/admin/*`, per client IP. @default 30 per 15 min */
  admin: RateLimitRule | undefined
  /** `/v1/auth/*`, per client IP; fails closed when the store is unreachable. @default 5 per 15 min */
  auth: RateLimitRule | undefined
  /** Creating a campaign, per user. @default 20 per hour */
  campaignCreate: RateLimitRule | undefined
  /** Starting (or resuming) a campaign, per user. @default 10 per minute */
  campaignStart: RateLimitRule | undefined
}

export interface EmailConfig {
  /** `db` records messages in `sent_emails`; `http` POSTs them as JSON to `httpUrl`. @default "db" */
  transport: 'db' | 'http'
  httpUrl: string | undefined
  httpKey: string | undefined
  /** @default 10000 */
  httpTimeoutMs: number
  /** Sender of the product's own emails (verification). @default "lowtide <no-reply@lowtide.local>" */
  from: string
}

export interface TaskConfig {
  /** HMAC key of signed task and queue requests; `nextSigningSecret` is also accepted (rotation). */
  signingSecret: string | undefined
  nextSigningSecret: string | undefined
  /** `Authorization: Bearer <CRON_SECRET>` is accepted instead of a signature (plain HTTP crons). */
  cronSecret: string | undefined
  /** v1 signatures (no method or path) until their sunset; `TASK_SIGNATURE_V1=off` refuses them now. @default true */
  acceptV1Signatures: boolean
  /** Time budget of one task run. @default 25000 */
  budgetMs: number
  /** @default 30 */
  ledgerRetentionDays: number
}

export interface DispatchConfig {
  /** Emails claimed per batch. @default 100 */
  batchSize: number
  /** Concurrent sends per user (seed: 3–5). @default 3 */
  concurrencyPerUser: number
  /** Sends per second per user. @default 10 × concurrency */
  ratePerUser: number
  /** Attempts before a failing email is marked failed. @default 5 */
  maxAttempts: number
}

export interface ChatAgentConfig {
  /** Users are synced to `<url>/users`; unset turns the sync off. */
  url: string | undefined
  token: string | undefined
  /** @default 2000 */
  timeoutMs: number
}

export interface QueueConfig {
  /** The SQS queue that carries outbox ids; unset: rows wait for the sweep task. */
  queueUrl: string | undefined
  /** Why the queue is off although SQS_QUEUE_URL is set (e.g. a CloudFormation reference nothing resolved). */
  disabledReason: string | undefined
  /** A non-AWS endpoint (fauxqs, LocalStack). */
  endpoint: string | undefined
  /** @default "us-east-1" */
  region: string
  /** Deliveries of one outbox row before it is marked dead. @default 8 */
  maxAttempts: number
  /**
   * From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) when set: Workers have no
   * AWS credential chain, so the Worker needs them as secrets. Elsewhere the SDK's chain applies.
   */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined
}

export interface WebhookConfig {
  /** Hosts exempt from the private-address refusal (e.g. `127.0.0.1,localhost` for local receivers). */
  allowHosts: string[]
  /** Per delivery attempt. @default 15000 */
  timeoutMs: number
  /** An endpoint failing this long is disabled. @default 5 days */
  disableAfterS: number
}

export interface StreamConfig {
  /** How often a stream looks for changes. @default 2000 */
  pollMs: number
  /** A comment line this often keeps proxies from closing a quiet stream. @default 25000 */
  keepaliveMs: number
  /** After this the server ends the stream; the client reconnects with Last-Event-ID. @default 1 h */
  maxDurationMs: number
}

export interface Config {
  platform: Platform
  /** Settings that were set but cannot take effect; each entry logs them once at start-up. */
  warnings: string[]
  port: number
  host: string
  opsToken: string | undefined
  opsAllowIps: string[]
  requestTimeoutMs: number
  bodyLimitBytes: number
  logLevel: LogLevel
  /**
   * How many reverse proxies in front of the app append to `X-Forwarded-For`. 0 (default): the
   * platform's own address is the client IP (socket peer on Node, API Gateway's sourceIp, Cloudflare's
   * CF-Connecting-IP). n > 0: the n-th address from the right of `X-Forwarded-For` is.
   */
  trustProxyHops: number
  /** PBKDF2-SHA256 iterations for new password hashes (Workers cap WebCrypto at 100 000). @default 100000 */
  passwordIterations: number
  /** @default 72 */
  emailVerificationTtlHours: number
  /** Statement timeout of each sub-query of `GET /v1/admin/stats`. @default 2000 */
  adminStatsTimeoutMs: number
  /** Hours between email verification reminders (at most 3). @default 24 */
  verificationReminderSpacingHours: number
  rateLimits: RateLimitConfig
  email: EmailConfig
  tasks: TaskConfig
  dispatch: DispatchConfig
  chatAgent: ChatAgentConfig
  queue: QueueConfig
  webhooks: WebhookConfig
  streams: StreamConfig
  db: DbConfig
}

export type Env = Record<string, string | undefined>

/**
 * Below this a stolen hash is cheap to crack; above 50 000 a Worker on the Free plan (10 ms of CPU
 * per request) runs out of CPU in register and login (`npm run bench:password`).
 */
export const MIN_RECOMMENDED_PBKDF2_ITERATIONS = 10_000

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`)
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const int = (min: number, max: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).optional())

/** `100/15m`, `20/1h`, `10/60s` or `off`. */
const rateLimit = z.preprocess(
  blankToUndefined,
  z
    .string()
    .trim()
    .regex(/^(off|\d{1,7}\s*\/\s*[1-9]\d{0,5}\s*[smhd]?)$/i, 'must look like 100/15m (count/window with s, m, h or d) or off')
    .optional(),
)

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

function parseRateLimit(value: string | undefined, fallback: RateLimitRule): RateLimitRule | undefined {
  if (value === undefined) return fallback
  if (value.toLowerCase() === 'off') return undefined
  const [, max, amount, unit] = /^(\d+)\s*\/\s*(\d+)\s*([smhd]?)$/i.exec(value)!
  return { max: Number(max), windowS: Number(amount) * unitSeconds[(unit || 's').toLowerCase()]! }
}

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
  TRUST_PROXY_HOPS: int(0, 10),
  AUTH_PBKDF2_ITERATIONS: int(1000, 100_000),
  EMAIL_VERIFICATION_TTL_HOURS: int(1, 24 * 365),
  ADMIN_STATS_TIMEOUT_MS: int(1, 60_000),
  RATE_LIMIT_API: rateLimit,
  RATE_LIMIT_ADMIN: rateLimit,
  RATE_LIMIT_AUTH: rateLimit,
  RATE_LIMIT_CAMPAIGN_CREATE: rateLimit,
  RATE_LIMIT_CAMPAIGN_START: rateLimit,
  EMAIL_TRANSPORT: z.preprocess(blankToUndefined, z.enum(['db', 'http']).optional()),
  EMAIL_HTTP_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  EMAIL_HTTP_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  EMAIL_HTTP_TIMEOUT_MS: int(1, 120_000),
  EMAIL_FROM: z.preprocess(blankToUndefined, z.string().max(320).optional()),
  TASK_SIGNING_SECRET: z.preprocess(blankToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  TASK_SIGNING_SECRET_NEXT: z.preprocess(blankToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  CRON_SECRET: z.preprocess(blankToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  TASK_SIGNATURE_V1: z.preprocess(blankToUndefined, z.enum(['accept', 'off']).optional()),
  TASK_BUDGET_MS: int(100, 15 * 60_000),
  TASK_LEDGER_RETENTION_DAYS: int(1, 3650),
  DISPATCH_BATCH_SIZE: int(1, 1000),
  DISPATCH_CONCURRENCY_PER_USER: int(1, 50),
  DISPATCH_RATE_PER_USER: int(1, 100_000),
  DISPATCH_MAX_ATTEMPTS: int(1, 50),
  VERIFICATION_REMINDER_SPACING_HOURS: int(1, 24 * 30),
  CHAT_AGENT_SERVER_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  CHAT_AGENT_TOKEN: z.preprocess(blankToUndefined, z.string().optional()),
  CHAT_AGENT_SYNC_TIMEOUT_MS: int(1, 60_000),
  // Not a URL is a warning, not a stop: see queueUrlOf.
  SQS_QUEUE_URL: z.preprocess(blankToUndefined, z.string().optional()),
  SQS_ENDPOINT: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  SQS_REGION: z.preprocess(blankToUndefined, z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like eu-west-1').optional()),
  QUEUE_MAX_ATTEMPTS: int(1, 50),
  AWS_ACCESS_KEY_ID: z.preprocess(blankToUndefined, z.string().optional()),
  AWS_SECRET_ACCESS_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  AWS_SESSION_TOKEN: z.preprocess(blankToUndefined, z.string().optional()),
  WEBHOOK_ALLOW_HOSTS: z.preprocess(blankToUndefined, z.string().optional()),
  WEBHOOK_TIMEOUT_MS: int(100, 120_000),
  WEBHOOK_DISABLE_AFTER_S: int(60, 365 * 86400),
  SSE_POLL_MS: int(100, 600_000),
  SSE_KEEPALIVE_MS: int(100, 600_000),
  SSE_MAX_DURATION_MS: int(1000, 24 * 3600_000),
  DB_DRIVER: z.preprocess(blankToUndefined, z.enum(['pg', 'neon-ws', 'neon-http']).optional()),
  NEON_HTTP_ENDPOINT: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(500)
      .refine((v) => isHttpUrl(v.replaceAll('{host}', 'db.example').replaceAll('{port}', '5432')), 'must be an http(s) URL; {host} and {port} are filled in')
      .optional(),
  ),
  NEON_WS_PROXY: z.preprocess(blankToUndefined, z.string().max(500).optional()),
  NEON_WS_INSECURE: z.preprocess(blankToUndefined, z.enum(['0', '1']).optional()),
  DB_CONNECTION_MODE: z.preprocess(blankToUndefined, z.enum(['pool', 'per-request']).optional()),
  DB_POOL_MAX: int(1, 1000),
  DB_IDLE_TIMEOUT_MS: int(1, 24 * 3600_000),
  DB_MAX_LIFETIME_S: int(0, 7 * 24 * 3600),
  DB_CONNECT_TIMEOUT_MS: int(1, 120_000),
  DB_CHECK_IDLE_AFTER_MS: int(0, 24 * 3600_000),
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
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'OPS_TOKEN', 'EMAIL_HTTP_KEY', 'TASK_SIGNING_SECRET', 'TASK_SIGNING_SECRET_NEXT', 'CRON_SECRET', 'CHAT_AGENT_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])

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
  const queue = queueUrlOf(e.SQS_QUEUE_URL)
  const transport = e.EMAIL_TRANSPORT ?? 'db'
  if (transport === 'http' && !e.EMAIL_HTTP_URL) {
    throw new ConfigError([{ variable: 'EMAIL_HTTP_URL', message: 'is required when EMAIL_TRANSPORT=http' }])
  }

  return {
    platform,
    warnings: [
      ...(queue.disabledReason ? [queue.disabledReason] : []),
      ...((e.AUTH_PBKDF2_ITERATIONS ?? MIN_RECOMMENDED_PBKDF2_ITERATIONS) < MIN_RECOMMENDED_PBKDF2_ITERATIONS
        ? [`AUTH_PBKDF2_ITERATIONS=${e.AUTH_PBKDF2_ITERATIONS} is below ${MIN_RECOMMENDED_PBKDF2_ITERATIONS}, the least lowtide recommends for real passwords (fine for tests)`]
        : []),
    ],
    port: e.PORT ?? 8787,
    host: e.HOST ?? '127.0.0.1',
    opsToken: e.OPS_TOKEN,
    opsAllowIps,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS ?? 30_000,
    bodyLimitBytes: e.BODY_LIMIT_BYTES ?? 1024 * 1024,
    logLevel: e.LOG_LEVEL ?? 'info',
    trustProxyHops: e.TRUST_PROXY_HOPS ?? 0,
    passwordIterations: e.AUTH_PBKDF2_ITERATIONS ?? 100_000,
    emailVerificationTtlHours: e.EMAIL_VERIFICATION_TTL_HOURS ?? 72,
    adminStatsTimeoutMs: e.ADMIN_STATS_TIMEOUT_MS ?? 2000,
    rateLimits: {
      api: parseRateLimit(e.RATE_LIMIT_API, { max: 100, windowS: 15 * 60 }),
      admin: parseRateLimit(e.RATE_LIMIT_ADMIN, { max: 30, windowS: 15 * 60 }),
      auth: parseRateLimit(e.RATE_LIMIT_AUTH, { max: 5, windowS: 15 * 60 }),
      campaignCreate: parseRateLimit(e.RATE_LIMIT_CAMPAIGN_CREATE, { max: 20, windowS: 3600 }),
      campaignStart: parseRateLimit(e.RATE_LIMIT_CAMPAIGN_START, { max: 10, windowS: 60 }),
    },
    verificationReminderSpacingHours: e.VERIFICATION_REMINDER_SPACING_HOURS ?? 24,
    tasks: {
      signingSecret: e.TASK_SIGNING_SECRET,
      nextSigningSecret: e.TASK_SIGNING_SECRET_NEXT,
      cronSecret: e.CRON_SECRET,
      acceptV1Signatures: e.TASK_SIGNATURE_V1 !== 'off',
      budgetMs: e.TASK_BUDGET_MS ?? 25_000,
      ledgerRetentionDays: e.TASK_LEDGER_RETENTION_DAYS ?? 30,
    },
    dispatch: {
      batchSize: e.DISPATCH_BATCH_SIZE ?? 100,
      concurrencyPerUser: e.DISPATCH_CONCURRENCY_PER_USER ?? 3,
      ratePerUser: e.DISPATCH_RATE_PER_USER ?? 10 * (e.DISPATCH_CONCURRENCY_PER_USER ?? 3),
      maxAttempts: e.DISPATCH_MAX_ATTEMPTS ?? 5,
    },
    chatAgent: {
      url: e.CHAT_AGENT_SERVER_URL,
      token: e.CHAT_AGENT_TOKEN,
      timeoutMs: e.CHAT_AGENT_SYNC_TIMEOUT_MS ?? 2000,
    },
    streams: {
      pollMs: e.SSE_POLL_MS ?? 2000,
      keepaliveMs: e.SSE_KEEPALIVE_MS ?? 25_000,
      maxDurationMs: e.SSE_MAX_DURATION_MS ?? 3600_000,
    },
    webhooks: {
      allowHosts: (e.WEBHOOK_ALLOW_HOSTS ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, ''))
        .filter(Boolean),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS ?? 15_000,
      disableAfterS: e.WEBHOOK_DISABLE_AFTER_S ?? 5 * 86400,
    },
    queue: {
      ...queue,
      endpoint: e.SQS_ENDPOINT,
      region: e.SQS_REGION ?? 'us-east-1',
      maxAttempts: e.QUEUE_MAX_ATTEMPTS ?? 8,
      credentials:
        e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
          ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}) }
          : undefined,
    },
    email: {
      transport,
      httpUrl: e.EMAIL_HTTP_URL,
      httpKey: e.EMAIL_HTTP_KEY,
      httpTimeoutMs: e.EMAIL_HTTP_TIMEOUT_MS ?? 10_000,
      from: e.EMAIL_FROM ?? 'lowtide <no-reply@lowtide.local>',
    },
    db: {
      url: e.DATABASE_URL,
      // Neon's drivers are a connection per request by design.
      mode: e.DB_DRIVER === 'neon-ws' || e.DB_DRIVER === 'neon-http' ? 'per-request' : (e.DB_CONNECTION_MODE ?? (platform === 'worker' ? 'per-request' : 'pool')),
      poolMax: e.DB_POOL_MAX ?? (platform === 'lambda' ? 2 : 5),
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS ?? 10_000,
      maxLifetimeS: e.DB_MAX_LIFETIME_S ?? 3600,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS ?? 2000,
      checkIdleAfterMs: e.DB_CHECK_IDLE_AFTER_MS ?? 1000,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS ?? 20_000,
      leakWarnMs: e.DB_LEAK_WARN_MS ?? 10_000,
      applicationName: e.DB_APPLICATION_NAME ?? 'lowtide',
      driver: e.DB_DRIVER ?? 'pg',
      neon: { wsProxy: e.NEON_WS_PROXY, insecure: e.NEON_WS_INSECURE === '1', httpEndpoint: e.NEON_HTTP_ENDPOINT },
    },
  }
}

/**
 * A queue URL that is not a URL turns the queue off with a reason, instead of stopping start-up:
 * tools that cannot resolve CloudFormation (serverless-offline, `invoke local`) pass `!Ref OutboxQueue`
 * through as "[object Object]", and every route that needs no queue should still work there.
 * Nothing is lost: outbox rows wait for the `outbox-sweep` task, which delivers them itself.
 */
function queueUrlOf(value: string | undefined): { queueUrl: string | undefined; disabledReason: string | undefined } {
  if (value === undefined || isHttpUrl(value)) return { queueUrl: value, disabledReason: undefined }
  return {
    queueUrl: undefined,
    disabledReason: `SQS_QUEUE_URL is not an http(s) URL (got ${JSON.stringify(value.slice(0, 100))}): queue disabled, outbox rows wait for the outbox-sweep task`,
  }
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
}
