/**
 * `low-credit-notices` (daily): one email per user whose balance is below their threshold, at most
 * one per user per day — the `user_notices` row and the email are written in one transaction, and
 * the day is the occurrence's (UTC), so a re-delivered or caught-up occurrence sends nothing twice.
 */
import { runBatches } from '../../tasks/budget.js'
import type { TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'
import { emitEvents } from '../webhooks/events.js'
import { noteLowCreditUsers } from './repo.js'

const BATCH = 200

export const lowCreditNotices: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const day = ctx.scheduledAt.toISOString().slice(0, 10)
  const { processed, more } = await runBatches(ctx.budget, () =>
    ctx.db.withTransaction(async (tx) => {
      const users = await noteLowCreditUsers(tx, day, BATCH)
      await emitEvents(tx, ctx.outbox, users.map((u) => ({ userId: u.id, type: 'credits.low' as const, data: { balance: u.balance, threshold: u.threshold } })))
      for (const user of users) {
        await deps.email.send(tx, {
          kind: 'notice',
          to: user.email,
          from: deps.config.email.from,
          subject: 'Your lowtide credits are running low',
          body: `Your balance is ${user.balance} credits, below your threshold of ${user.threshold}.\nCampaigns pause when credits run out.\n`,
          userId: user.id,
        })
      }
      return { processed: users.length, full: users.length === BATCH }
    }),
  )
  return { processed, more, day }
}
