/**
 * `low-credit-notices` (daily): one email per user whose balance is below their threshold, at most
 * one per user per day — the `user_notices` row and the email are written in one transaction, and
 * the day is the occurrence's (UTC), so a re-delivered or caught-up occurrence sends nothing twice.
 */
import type { TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'
import { emitEvents } from '../webhooks/events.js'

const BATCH = 200

export const lowCreditNotices: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const day = ctx.scheduledAt.toISOString().slice(0, 10)
  let processed = 0
  let more = false
  for (;;) {
    if (ctx.budget.spent()) {
      more = true
      break
    }
    const sent = await ctx.db.withTransaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; email: string; balance: number; threshold: number }>(
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
        [day, BATCH],
      )
      await emitEvents(tx, ctx.outbox, rows.map((u) => ({ userId: u.id, type: 'credits.low' as const, data: { balance: u.balance, threshold: u.threshold } })))
      for (const user of rows) {
        await deps.email.send(tx, {
          kind: 'notice',
          to: user.email,
          from: deps.config.email.from,
          subject: 'Your lowtide credits are running low',
          body: `Your balance is ${user.balance} credits, below your threshold of ${user.threshold}.\nCampaigns pause when credits run out.\n`,
          userId: user.id,
        })
      }
      return rows.length
    })
    processed += sent
    if (sent < BATCH) break
  }
  return { processed, more, day }
}
