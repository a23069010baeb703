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
