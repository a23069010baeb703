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
