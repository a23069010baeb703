import pg from 'pg'

/** The two statements lowtide runs for GET /v1/users/:id (src/domain/accounts/repo.ts), shared by the bench's bare baselines. */
export const authSql = `WITH k AS (SELECT id, user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL),
  touch AS (UPDATE api_keys SET last_used_at = now() WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
  SELECT u.id, u.email, u.role, u.email_verified_at IS NOT NULL AS "emailVerified", k.id AS "apiKeyId" FROM k JOIN users u ON u.id = k.user_id`
export const userSql = `SELECT id, email, name, role, email_verified_at IS NOT NULL AS "emailVerified", to_json(created_at)#>>'{}' AS "createdAt" FROM users WHERE id = $1`

/** The bearer key of a request, or undefined. */
export const bearer = (header: string | undefined) => /^Bearer (\S+)$/.exec(header ?? '')?.[1]

/** Each baseline's process contract: it prints its port as JSON, and ends its pool on SIGTERM. */
export function announce(port: number, close: (done: () => void) => void): void {
  console.log(JSON.stringify({ port }))
  process.on('SIGTERM', () => close(() => process.exit(0)))
}

/** The pg.Pool of the pg baselines: lowtide's pool size and bounds, from the same variables. */
export function benchPool(defaultName: string): pg.Pool {
  return new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DB_POOL_MAX ?? 5),
    idleTimeoutMillis: Number(process.env.DB_IDLE_TIMEOUT_MS ?? 10_000),
    // The same bound lowtide's pool has (DB_CONNECT_TIMEOUT_MS): without it an exhausted pool makes
    // callers wait forever, which no production app should ship; it costs a timer per queued checkout.
    connectionTimeoutMillis: Number(process.env.DB_CONNECT_TIMEOUT_MS ?? 2000),
    application_name: process.env.DB_APPLICATION_NAME ?? defaultName,
  })
}
