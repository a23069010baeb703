/** Where the database is and how connections are made, pooled, bounded and watched. */
import { int, isHttpUrl, oneOf, text, type Values } from './define.js'
import type { Platform } from './server.js'

export type ConnectionMode = 'pool' | 'per-request'

export const dbVariables = {
  DATABASE_URL: text({
    secret: true,
    refine: [(v) => /^postgres(ql)?:\/\//.test(v), 'must start with postgres:// or postgresql://'],
    defaultText: 'embedded Postgres (`npm start`)',
    doc: '`postgres://…` connection string. Required on Lambda; on Workers unless a `HYPERDRIVE` binding exists',
  }),
  DB_CONNECTION_MODE: oneOf({ values: ['pool', 'per-request'], defaultText: '`pool` (Node, Lambda), `per-request` (Workers)', doc: 'a shared `pg.Pool`, or a connection opened and closed per request' }),
  DB_POOL_MAX: int({ min: 1, max: 1000, defaultText: '`5` on Node, `2` on Lambda', doc: 'pool size' }),
  DB_IDLE_TIMEOUT_MS: int({ min: 1, max: 24 * 3600_000, default: 10_000, doc: 'an idle pooled connection is closed after this' }),
  DB_MAX_LIFETIME_S: int({ min: 0, max: 7 * 24 * 3600, default: 3600, doc: 'a pooled connection is retired after this age (`0`: never)' }),
  DB_CONNECT_TIMEOUT_MS: int({ min: 1, max: 120_000, default: 2000, doc: 'bound on connecting *and* on waiting for a free pooled connection; then 503 + `Retry-After`' }),
  DB_CONNECT_RETRY: oneOf({
    values: ['on', 'off'],
    default: 'on',
    doc: '`pg`: a connect the server or pooler refuses as full (53300, PgBouncer\'s limits) is tried again after a short jittered wait, within `DB_CONNECT_TIMEOUT_MS`, before the request is answered 503 `db_saturated` (postgres.js always does). See *Capacity* for what it buys',
  }),
  DB_CHECK_IDLE_AFTER_MS: int({
    min: 0,
    max: 24 * 3600_000,
    default: 1000,
    doc: 'a pooled connection idle this long answers `SELECT 1` (within half the connect timeout) before a request gets it; a dead one is replaced, so a thawed Lambda never hands one to a request',
  }),
  DB_STATEMENT_TIMEOUT_MS: int({ min: 0, max: 24 * 3600_000, default: 20_000, doc: 'a statement running longer is cancelled (`0`: never): `statement_timeout` in each transaction, a cancel request otherwise — and the server\'s own setting with `DB_POOLER=none`' }),
  DB_CONNECTION_BUDGET: int({
    min: 1,
    max: 100_000,
    doc: 'the connections this deployment may hold at Postgres or at its pooler, as `cron/capacity.ts` declares it (`cron:sync` writes it); `/readyz`, `/ops` and `npm run monitor` show what is held against it',
  }),
  DB_LEAK_WARN_MS: int({ min: 1, max: 24 * 3600_000, default: 10_000, doc: 'a connection held longer logs a leak warning with its route and acquisition stack' }),
  DB_APPLICATION_NAME: text({ default: 'lowtide', max: 63, refine: [(v) => /^[\x20-\x7e]+$/.test(v), 'must be printable ASCII'], doc: '`application_name`, so `pg_stat_activity` shows whose connection it is' }),
  DB_DRIVER: oneOf({
    values: ['pg', 'postgres', 'neon-ws', 'neon-http'],
    default: 'pg',
    doc: "`pg`; `postgres` (postgres.js: statements through its pool, a reserved connection only for transactions); `neon-ws` (Neon's serverless driver over WebSocket, a connection per request); `neon-http` (single statements and batches over Neon's SQL-over-HTTP, transactions over `neon-ws`) — see [Deploying to Workers](#deploying-to-workers)",
  }),
  DB_POOLER: oneOf({
    values: ['transaction', 'none'],
    default: 'transaction',
    doc: "what `DATABASE_URL` reaches. `transaction`: works behind a transaction-mode pooler (PgBouncer, Neon's and Supabase's poolers, Supavisor, RDS Proxy, Hyperdrive) as well as straight to Postgres — no startup parameter but `application_name`, the statement timeout set with `SET LOCAL` in each transaction and enforced by a cancel request, no prepared statements. `none`: straight to Postgres (or a session-mode pooler) — the timeout also as a startup parameter, and `DB_PREPARE` on. See *Capacity*",
  }),
  DB_PREPARE: oneOf({
    values: ['on', 'off'],
    defaultText: '`on` with `DB_POOLER=none`, else `off`',
    doc: '`postgres` driver: statements as named prepared statements, parsed once per connection. Only where the connection keeps them: straight to Postgres, or PgBouncer ≥ 1.21 with `max_prepared_statements`',
  }),
  NEON_HTTP_ENDPOINT: text({
    max: 500,
    refine: [(v) => isHttpUrl(v.replaceAll('{host}', 'db.example').replaceAll('{port}', '5432')), 'must be an http(s) URL; {host} and {port} are filled in'],
    defaultText: "Neon's",
    doc: 'where `neon-http` posts statements: a URL, `{host}`/`{port}` filled in from `DATABASE_URL` (one per process)',
  }),
  NEON_WS_PROXY: text({ max: 500, defaultText: "Neon's", doc: 'a WebSocket-to-TCP proxy for `neon-ws`: `host:port/path?address={host}:{port}`' }),
  NEON_WS_INSECURE: oneOf({ values: ['0', '1'], default: '0', doc: '`1`: plain `ws://` to that proxy, no TLS inside (local proxies only)' }),
}

export interface DbConfig {
  /** `postgres://…`; may be absent only where a platform supplies one (Hyperdrive, embedded dev database). */
  url: string | undefined
  /** `pool`: one shared `pg.Pool` (Node, Lambda). `per-request`: a connection opened and closed per request (Workers, Neon's drivers). */
  mode: ConnectionMode
  poolMax: number
  /** A pooled connection idle this long is closed. */
  idleTimeoutMs: number
  /** A pooled connection older than this is retired on release; 0 disables. */
  maxLifetimeS: number
  /** Upper bound on connecting *and* on waiting for a free pooled connection. */
  connectTimeoutMs: number
  /** A connect refused as full is tried again, jittered, within the connect timeout. */
  connectRetry: boolean
  /** A pooled connection idle this long answers `SELECT 1` (within half the connect timeout) before a request gets it. */
  checkIdleAfterMs: number
  /** A statement running longer is cancelled; 0 disables. */
  statementTimeoutMs: number
  /**
   * `transaction`: nothing a transaction-mode pooler refuses or loses (startup parameters, session
   * state, prepared statements). `none`: straight to Postgres, where those are kept.
   */
  pooler: 'transaction' | 'none'
  /** A connection held longer than this logs a leak warning with its acquisition site. */
  leakWarnMs: number
  /** Shown in `pg_stat_activity.application_name`. */
  applicationName: string
  /** The connections this deployment may hold at Postgres or its pooler (cron/capacity.ts), if declared. */
  connectionBudget: number | undefined
  driver: 'pg' | 'postgres' | 'neon-ws' | 'neon-http'
  /** `postgres` driver: named prepared statements. */
  prepare: boolean
  neon: {
    /** Where `neon-http` posts statements; Neon's own when unset. */
    httpEndpoint: string | undefined
    /** A WebSocket-to-TCP proxy; Neon's own when unset. */
    wsProxy: string | undefined
    /** Plain `ws://` to the proxy, no TLS inside: a local proxy only. */
    insecure: boolean
  }
}

export function dbConfig(v: Values<typeof dbVariables>, platform: Platform): DbConfig {
  // Neon's drivers are a connection per request by design.
  const neon = v.DB_DRIVER === 'neon-ws' || v.DB_DRIVER === 'neon-http'
  return {
    url: v.DATABASE_URL,
    mode: neon ? 'per-request' : (v.DB_CONNECTION_MODE ?? (platform === 'worker' ? 'per-request' : 'pool')),
    poolMax: v.DB_POOL_MAX ?? (platform === 'lambda' ? 2 : 5),
    idleTimeoutMs: v.DB_IDLE_TIMEOUT_MS,
    maxLifetimeS: v.DB_MAX_LIFETIME_S,
    connectTimeoutMs: v.DB_CONNECT_TIMEOUT_MS,
    connectRetry: v.DB_CONNECT_RETRY === 'on',
    checkIdleAfterMs: v.DB_CHECK_IDLE_AFTER_MS,
    statementTimeoutMs: v.DB_STATEMENT_TIMEOUT_MS,
    leakWarnMs: v.DB_LEAK_WARN_MS,
    applicationName: v.DB_APPLICATION_NAME,
    connectionBudget: v.DB_CONNECTION_BUDGET,
    driver: v.DB_DRIVER,
    pooler: v.DB_POOLER,
    prepare: (v.DB_PREPARE ?? (v.DB_POOLER === 'none' ? 'on' : 'off')) === 'on',
    neon: { wsProxy: v.NEON_WS_PROXY, insecure: v.NEON_WS_INSECURE === '1', httpEndpoint: v.NEON_HTTP_ENDPOINT },
  }
}
