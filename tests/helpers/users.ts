import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { generateApiKey } from '../../src/domain/accounts/api-keys.js'

export interface SeededUser {
  id: string
  email: string
  apiKey: string
  /** `{ authorization: 'Bearer lt_…' }` */
  auth: Record<string, string>
}

/**
 * A user with an API key, written straight into the database (registration itself is tested
 * through the API in accounts.test.ts).
 */
export async function seedUser(
  client: pg.Client,
  options: { email?: string; role?: 'user' | 'admin'; verified?: boolean; credits?: number } = {},
): Promise<SeededUser> {
  const email = options.email ?? `user-${randomUUID().slice(0, 8)}@example.com`
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO users (email, role, email_verified_at, credit_balance)
     VALUES ($1, $2, CASE WHEN $3 THEN now() END, $4) RETURNING id`,
    [email, options.role ?? 'user', options.verified ?? true, options.credits ?? 0],
  )
  const id = rows[0]!.id
  const key = generateApiKey()
  await client.query(`INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, 'test', $2, $3)`, [id, key.prefix, key.hash])
  return { id, email, apiKey: key.key, auth: { authorization: `Bearer ${key.key}` } }
}
