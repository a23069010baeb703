/**
 * `email-verification-reminders` (every 6 h): unverified users get a fresh token by email, at
 * most 3 reminders each, at least `VERIFICATION_REMINDER_SPACING_HOURS` apart (counted from
 * registration for the first). Token, counter and email are one transaction per batch.
 */
import { randomToken } from '../../crypto.js'
import { runBatches } from '../../tasks/budget.js'
import type { TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'
import { claimReminderRecipients, insertVerificationToken } from './repo.js'
import { verificationEmail } from './service.js'

export const MAX_REMINDERS = 3
const BATCH = 100

export const verificationReminders: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const { config } = deps
  const { processed, more } = await runBatches(ctx.budget, () =>
    ctx.db.withTransaction(async (tx) => {
      const users = await claimReminderRecipients(tx, MAX_REMINDERS, config.verificationReminderSpacingHours, BATCH)
      for (const user of users) {
        const token = randomToken(32)
        await insertVerificationToken(tx, deps.sha256(token), user.id, config.emailVerificationTtlHours)
        await deps.email.send(tx, { ...verificationEmail(user.email, token, config.email.from), kind: 'verification-reminder', userId: user.id })
      }
      return { processed: users.length, full: users.length === BATCH }
    }),
  )
  return { processed, more }
}
