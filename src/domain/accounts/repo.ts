import { UNIQUE_VIOLATION, sqlState } from '../../db/errors.js'
import type { Queryable } from '../../db/types.js'
import type { Prune } from '../../tasks/ledger.js'
import type { AuthUser } from '../env.js'
import type { AccountUser, ApiKeyInfo } from './schema.js'

export const accountColumns = `id, email, name, role, email_verified_at IS NOT NULL AS "emailVerified", to_json(created_at)#>>'{}' AS "createdAt"`
const keyColumns = `id, name, prefix, to_json(created_at)#>>'{}' AS "createdAt", to_json(last_used_at)#>>'{}' AS "lastUsedAt", to_json(revoked_at)#>>'{}' AS "revokedAt"`

/** Inserts the user and its verification token in one statement; `undefined` if the email is taken. */
export async function insertAccount(
  db: Queryable,
  input: { email: string; name: string | undefined; passwordHash: string; tokenHash: Uint8Array; ttlHours: number },
): Promise<AccountUser | undefined> {
  try {
    const { rows } = await db.query<AccountUser>(
      `WITH u AS (
         INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING ${accountColumns}
       ), t AS (
         INSERT INTO email_verifications (token_hash, user_id, expires_at)
         SELECT $4, u.id, now() + make_interval(hours => $5) FROM u
       )
       SELECT * FROM u`,
      [input.email, input.name ?? null, input.passwordHash, input.tokenHash, input.ttlHours],
    )
    return rows[0]
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) return undefined
    throw err
  }
}

export async function findLogin(db: Queryable, email: string): Promise<(AccountUser & { passwordHash: string | null }) | undefined> {
  const { rows } = await db.query<AccountUser & { passwordHash: string | null }>(
    `SELECT ${accountColumns}, password_hash AS "passwordHash" FROM users WHERE lower(email) = lower($1)`,
    [email],
  )
  return rows[0]
}

export async function findAccount(db: Queryable, id: string): Promise<AccountUser | undefined> {
  const { rows } = await db.query<AccountUser>(`SELECT ${accountColumns} FROM users WHERE id = $1`, [id])
  return rows[0]
}

/** Consumes an unused, unexpired token and marks the email verified, in one statement. */
export async function consumeVerification(db: Queryable, tokenHash: Uint8Array): Promise<AccountUser | undefined> {
  const { rows } = await db.query<AccountUser>(
    `WITH t AS (
       UPDATE email_verifications SET used_at = now()
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING user_id
     )
     UPDATE users SET email_verified_at = coalesce(email_verified_at, now())
     WHERE id = (SELECT user_id FROM t)
     RETURNING ${accountColumns}`,
    [tokenHash],
  )
  return rows[0]
}

export async function insertApiKey(db: Queryable, userId: string, name: string, prefix: string, hash: Uint8Array): Promise<ApiKeyInfo> {
  const { rows } = await db.query<ApiKeyInfo>(
    `INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4) RETURNING ${keyColumns}`,
    [userId, name, prefix, hash],
  )
  return rows[0]!
}

export async function countActiveKeys(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL`, [userId])
  return rows[0]!.n
}

export async function listApiKeys(db: Queryable, userId: string, keysetWhere: string, params: unknown[], limit: number): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<ApiKeyInfo>(
    `SELECT ${keyColumns} FROM api_keys WHERE user_id = $1 AND ${keysetWhere} ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit + 1, ...params],
  )
  return rows
}

export async function revokeApiKey(db: Queryable, userId: string, keyId: string): Promise<ApiKeyInfo | undefined> {
  const { rows } = await db.query<ApiKeyInfo>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2 RETURNING ${keyColumns}`,
    [keyId, userId],
  )
  return rows[0]
}

/**
 * Who holds this key. `last_used_at` is refreshed at most once a minute, in the same statement,
 * so a busy key does not turn every read into a write.
 */
export async function authenticateKey(db: Queryable, keyHash: Uint8Array): Promise<AuthUser | undefined> {
  const { rows } = await db.query<AuthUser>(
    `WITH k AS (
       SELECT id, user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
     ), touch AS (
       UPDATE api_keys SET last_used_at = now()
       WHERE id = (SELECT id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
     )
     SELECT u.id, u.email, u.role, u.email_verified_at IS NOT NULL AS "emailVerified", k.id AS "apiKeyId"
     FROM k JOIN users u ON u.id = k.user_id`,
    [keyHash],
  )
  return rows[0]
}

/** For `ledger-cleanup`: verification tokens used or expired, and over 30 days old (`$1`: batch size). */
export const spentVerificationTokens: Prune = {
  name: 'verificationTokens',
  sql: `DELETE FROM email_verifications WHERE token_hash IN (SELECT token_hash FROM email_verifications WHERE (used_at IS NOT NULL OR expires_at < now()) AND created_at < now() - interval '30 days' LIMIT $1)`,
}

/**
 * Up to `limit` unverified users due a reminder (fewer than `max` so far, the last one — or the
 * registration — at least `spacingHours` ago), counted as reminded in the same statement.
 */
export async function claimReminderRecipients(db: Queryable, max: number, spacingHours: number, limit: number): Promise<{ id: string; email: string }[]> {
  const { rows } = await db.query<{ id: string; email: string }>(
    `UPDATE users SET verification_reminders = verification_reminders + 1, last_verification_reminder_at = now()
     WHERE id IN (
       SELECT id FROM users
       WHERE email_verified_at IS NULL AND verification_reminders < $1
         AND coalesce(last_verification_reminder_at, created_at) <= now() - make_interval(hours => $2)
       ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
     )
     RETURNING id, email`,
    [max, spacingHours, limit],
  )
  return rows
}

export async function insertVerificationToken(db: Queryable, tokenHash: Uint8Array, userId: string, ttlHours: number): Promise<void> {
  await db.query(`INSERT INTO email_verifications (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))`, [tokenHash, userId, ttlHours])
}

export interface ChatSyncUser {
  id: string
  email: string
  name: string | null
  attempts: number
}

/** A user to mirror to the chat agent, with its sync status. */
export async function findChatSyncUser(db: Queryable, id: string): Promise<(ChatSyncUser & { status: string }) | undefined> {
  const { rows } = await db.query<ChatSyncUser & { status: string }>(
    `SELECT id, email, name, chat_sync_attempts AS attempts, chat_sync_status AS status FROM users WHERE id = $1`,
    [id],
  )
  return rows[0]
}

/** Users whose sync failed and whose next attempt is due (users registered in the last minute are left to their own attempt). */
export async function dueChatSyncs(db: Queryable, limit: number): Promise<ChatSyncUser[]> {
  const { rows } = await db.query<ChatSyncUser>(
    `SELECT id, email, name, chat_sync_attempts AS attempts FROM users
     WHERE chat_sync_status <> 'synced' AND coalesce(chat_sync_next_at, created_at + interval '1 minute') <= now()
     ORDER BY coalesce(chat_sync_next_at, created_at) LIMIT $1`,
    [limit],
  )
  return rows
}

/** Records a sync attempt: synced, or failed with its error and the next attempt after 1 min, 2 min, … 6 h at most. */
export async function recordChatSync(db: Queryable, userId: string, error: string | undefined): Promise<void> {
  await db.query(
    `UPDATE users SET
       chat_sync_status = CASE WHEN $2::text IS NULL THEN 'synced' ELSE 'failed' END,
       chat_sync_attempts = chat_sync_attempts + 1,
       chat_sync_error = $2,
       chat_synced_at = CASE WHEN $2::text IS NULL THEN now() ELSE chat_synced_at END,
       chat_sync_next_at = CASE WHEN $2::text IS NULL THEN NULL
                               ELSE now() + lowtide_backoff(chat_sync_attempts + 1, interval '1 minute', interval '6 hours') END
     WHERE id = $1`,
    [userId, error ?? null],
  )
}
