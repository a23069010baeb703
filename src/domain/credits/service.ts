import type { Db, Queryable } from '../../db/types.js'
import { AppError, notFound } from '../../errors.js'
import * as repo from './repo.js'
import type { Balance, CreditTransaction } from './schema.js'

export class InsufficientCreditsError extends AppError {
  constructor(needed: number) {
    super(402, 'insufficient_credits', `not enough credits (${needed} needed)`)
  }
}

export async function getBalance(db: Db, userId: string): Promise<Balance> {
  const balance = await repo.findBalance(db, userId)
  if (!balance) throw notFound('user')
  return balance
}

/** One credit per email sent; throws `InsufficientCreditsError` rather than overdraw. */
export async function consumeCredits(db: Queryable, userId: string, amount: number, reference?: string): Promise<CreditTransaction> {
  const tx = await repo.changeBalance(db, { userId, kind: 'consume', amount, reference })
  if (!tx) throw new InsufficientCreditsError(amount)
  return tx
}

export async function adjustCredits(
  db: Db,
  userId: string,
  change: { kind: 'grant' | 'refund'; amount: number; reason?: string | undefined },
): Promise<CreditTransaction> {
  const tx = await repo.changeBalance(db, { userId, ...change })
  if (!tx) throw notFound('user')
  return tx
}

export async function setLowCreditThreshold(db: Db, userId: string, threshold: number): Promise<Balance> {
  const balance = await repo.setThreshold(db, userId, threshold)
  if (!balance) throw notFound('user')
  return balance
}
