/**
 * `email-verification-reminders` (every 6 h): unverified users get a fresh token by email, at
 * most 3 reminders each, at least `VERIFICATION_REMINDER_SPACING_HOURS` apart (counted from
 * registration for the first). Token, counter and email are one transaction per batch.
 */
import { randomToken } from '../../crypto.js'
import type { TaskFactory } from '../../tasks/types.js'
import type { OutreachServices } from '../deps.js'
import { verificationEmail } from './service.js'

export const MAX_REMINDERS = 3
const BATCH = 100

export const verificationReminders: TaskFactory<OutreachServices> = (deps) => async (ctx) => {
  const { config } = deps
  let processed = 0
  let more = false
  for (;;) {
    if (ctx.budget.spent()) {
      more = true
      break
    }
    const sent = await ctx.db.withTransaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; email: string }>(
        `UPDATE users SET verification_reminders = verification_reminders + 1, last_verification_reminder_at = now()
         WHERE id IN (
           SELECT id FROM users
           WHERE email_verified_at IS NULL AND verification_reminders < $1
             AND coalesce(last_verification_reminder_at, created_at) <= now() - make_interval(hours => $2)
           ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
         )
         RETURNING id, email`,
        [MAX_REMINDERS, config.verificationReminderSpacingHours, BATCH],
      )
      for (const user of rows) {
        const token = randomToken(32)
        await tx.query(
          `INSERT INTO email_verifications (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))`,
          [deps.sha256(token), user.id, config.emailVerificationTtlHours],
        )
        await deps.email.send(tx, { ...verificationEmail(user.email, token, config.email.from), kind: 'verification-reminder', userId: user.id })
      }
      return rows.length
    })
    processed += sent
    if (sent < BATCH) break
  }
  return { processed, more }
}
