import type { Queryable } from '../../db/types.js'
import type { Balance, CreditKind, CreditTransaction } from './schema.js'

const txColumns = `id::text, kind, amount, balance_after::int AS "balanceAfter", reason, reference, to_json(created_at)#>>'{}' AS "createdAt"`

export async function findBalance(db: Queryable, userId: string): Promise<Balance | undefined> {
  const { rows } = await db.query<Balance>(
    `SELECT credit_balance::int AS balance, low_credit_threshold AS "lowCreditThreshold", credit_balance < low_credit_threshold AS low
     FROM users WHERE id = $1`,
    [userId],
  )
  return rows[0]
}

/**
 * Changes the balance and writes the ledger row in one statement. A consume that would overdraw
 * matches no row (and the CHECK on `credit_balance` would refuse it even if the WHERE did not),
 * so the balance cannot go negative under any concurrency. `undefined`: unknown user or too few credits.
 */
export async function changeBalance(
  db: Queryable,
  change: { userId: string; kind: CreditKind; amount: number; reason?: string | undefined; reference?: string | undefined },
): Promise<CreditTransaction | undefined> {
  const delta = change.kind === 'consume' ? -change.amount : change.amount
  const { rows } = await db.query<CreditTransaction>(
    `WITH u AS (
       UPDATE users SET credit_balance = credit_balance + $3::int
       WHERE id = $1 AND credit_balance + $3::int >= 0
       RETURNING id, credit_balance
     )
     INSERT INTO credit_transactions (user_id, kind, amount, balance_after, reason, reference)
     SELECT id, $2, $4, credit_balance, $5, $6 FROM u
     RETURNING ${txColumns}`,
    [change.userId, change.kind, delta, change.amount, change.reason ?? null, change.reference ?? null],
  )
  return rows[0]
}

export async function listTransactions(db: Queryable, userId: string, keysetWhere: string, params: unknown[], limit: number): Promise<CreditTransaction[]> {
  const { rows } = await db.query<CreditTransaction>(
    `SELECT ${txColumns} FROM credit_transactions WHERE user_id = $1 AND ${keysetWhere} ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit + 1, ...params],
  )
  return rows
}

export async function setThreshold(db: Queryable, userId: string, threshold: number): Promise<Balance | undefined> {
  const { rows } = await db.query<Balance>(
    `UPDATE users SET low_credit_threshold = $2 WHERE id = $1
     RETURNING credit_balance::int AS balance, low_credit_threshold AS "lowCreditThreshold", credit_balance < low_credit_threshold AS low`,
    [userId, threshold],
  )
  return rows[0]
}

/**
 * Up to `limit` users below their low-credit threshold who have no notice for `day` yet: a notice row
 * is written for each in the same statement (one per user per day, whatever runs twice).
 */
export async function noteLowCreditUsers(db: Queryable, day: string, limit: number): Promise<{ id: string; email: string; balance: number; threshold: number }[]> {
  const { rows } = await db.query<{ id: string; email: string; balance: number; threshold: number }>(
    `WITH due AS (
       SELECT u.id FROM users u
       WHERE u.credit_balance < u.low_credit_threshold
         AND NOT EXISTS (SELECT 1 FROM user_notices n WHERE n.user_id = u.id AND n.kind = 'low_credits' AND n.notice_day = $1::date)
       ORDER BY u.id LIMIT $2
     ), noted AS (
       INSERT INTO user_notices (user_id, kind, notice_day) SELECT id, 'low_credits', $1::date FROM due
       ON CONFLICT DO NOTHING RETURNING user_id
     )
     SELECT u.id, u.email, u.credit_balance::int AS balance, u.low_credit_threshold AS threshold FROM users u JOIN noted ON noted.user_id = u.id`,
    [day, limit],
  )
  return rows
}
