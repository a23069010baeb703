/** SQL of the campaign dispatcher; every statement is set-based over a batch. */
import type { Queryable } from '../../db/types.js'

export interface DueEmail {
  id: string
  userId: string
  campaignId: string
  step: number
  contactId: string
  attempts: number
  email: string
  firstName: string | null
  lastName: string | null
  company: string | null
  fields: Record<string, string>
  unsubscribed: boolean
  replied: boolean
  onlyIfNoReply: boolean
  fromEmail: string
  fromName: string | null
  subject: string
  body: string
}

/** Locks up to `limit` due emails of running campaigns; other runs skip them (SKIP LOCKED). */
export async function claimDueEmails(db: Queryable, limit: number): Promise<DueEmail[]> {
  const { rows } = await db.query<DueEmail>(
    `SELECT e.id::text, e.user_id AS "userId", e.campaign_id AS "campaignId", e.step_position AS step, e.contact_id AS "contactId",
       e.attempts, ct.email, ct.first_name AS "firstName", ct.last_name AS "lastName", ct.company, ct.fields,
       ct.unsubscribed_at IS NOT NULL AS unsubscribed, ct.replied_at IS NOT NULL AS replied, s.only_if_no_reply AS "onlyIfNoReply",
       c.from_email AS "fromEmail", c.from_name AS "fromName",
       coalesce(s.subject_template, c.subject_template) AS subject, coalesce(s.body_template, c.body_template) AS body
     FROM scheduled_emails e
     JOIN campaigns c ON c.id = e.campaign_id AND c.status = 'running'
     JOIN contacts ct ON ct.id = e.contact_id
     JOIN campaign_steps s ON s.campaign_id = e.campaign_id AND s.position = e.step_position
     WHERE e.status = 'pending' AND e.send_at <= now()
     ORDER BY e.send_at, e.id
     LIMIT $1
     FOR UPDATE OF e SKIP LOCKED`,
    [limit],
  )
  return rows
}

/**
 * Takes up to `wanted` credits from the user in one statement and writes one ledger row per
 * email (reference `scheduled_email:<id>`), for the first `granted` of `emailIds`.
 */
export async function consumeCreditsFor(db: Queryable, userId: string, emailIds: string[]): Promise<number> {
  const { rows } = await db.query<{ granted: number }>(
    `WITH g AS (
       SELECT id, least(credit_balance, $2::int) AS granted, credit_balance AS before FROM users WHERE id = $1 FOR UPDATE
     ), u AS (
       UPDATE users SET credit_balance = users.credit_balance - g.granted FROM g WHERE users.id = g.id RETURNING g.granted, g.before
     ), ledger AS (
       INSERT INTO credit_transactions (user_id, kind, amount, balance_after, reason, reference)
       SELECT $1, 'consume', 1, u.before - t.n, 'email sent', 'scheduled_email:' || t.id
       FROM u, unnest($3::text[]) WITH ORDINALITY AS t(id, n)
       WHERE t.n <= u.granted
     )
     SELECT granted::int FROM u`,
    [userId, emailIds.length, emailIds],
  )
  return rows[0]?.granted ?? 0
}

export async function refundCredits(db: Queryable, userId: string, emailIds: string[]): Promise<void> {
  if (emailIds.length === 0) return
  await db.query(
    `WITH u AS (UPDATE users SET credit_balance = credit_balance + $2::int WHERE id = $1 RETURNING credit_balance)
     INSERT INTO credit_transactions (user_id, kind, amount, balance_after, reason, reference)
     SELECT $1, 'refund', $2, u.credit_balance, 'email not sent', 'scheduled_emails:' || array_to_string($3::text[], ',') FROM u`,
    [userId, emailIds.length, emailIds],
  )
}

export interface EmailOutcome {
  id: string
  status: 'sent' | 'failed' | 'skipped' | 'pending'
  reason: string | null
  attempted: boolean
}

/**
 * Records every outcome of a batch in one statement. A retryable failure (`pending`) is sent again
 * after 30 s, 1 min, 2 min, … 1 h at most (`lowtide_backoff`, by attempts made).
 */
export async function recordOutcomes(db: Queryable, outcomes: EmailOutcome[]): Promise<void> {
  if (outcomes.length === 0) return
  await db.query(
    `UPDATE scheduled_emails e SET
       status = o.status,
       status_reason = o.reason,
       last_error = CASE WHEN o.status IN ('failed', 'pending') THEN o.reason ELSE e.last_error END,
       attempts = e.attempts + CASE WHEN o.attempted THEN 1 ELSE 0 END,
       sent_at = CASE WHEN o.status = 'sent' THEN now() ELSE e.sent_at END,
       send_at = CASE WHEN o.status = 'pending' THEN now() + lowtide_backoff(e.attempts + 1, interval '30 seconds', interval '1 hour') ELSE e.send_at END
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[]) AS o(id, status, reason, attempted)
     WHERE e.id = o.id`,
    [
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.reason),
      outcomes.map((o) => o.attempted),
    ],
  )
}

/** The next step's emails for contacts just reached, `delay` after now; replied contacts skipped where the step says so. */
export async function scheduleFollowUps(db: Queryable, sentIds: string[]): Promise<number> {
  if (sentIds.length === 0) return 0
  const { rowCount } = await db.query(
    `INSERT INTO scheduled_emails (campaign_id, step_position, contact_id, user_id, send_at)
     SELECT e.campaign_id, s.position, e.contact_id, e.user_id, now() + make_interval(secs => s.delay_seconds)
     FROM scheduled_emails e
     JOIN campaign_steps s ON s.campaign_id = e.campaign_id AND s.position = e.step_position + 1
     JOIN contacts ct ON ct.id = e.contact_id
     WHERE e.id = ANY ($1::bigint[]) AND NOT (s.only_if_no_reply AND ct.replied_at IS NOT NULL) AND ct.unsubscribed_at IS NULL
     ON CONFLICT (campaign_id, step_position, contact_id) DO NOTHING`,
    [sentIds],
  )
  return rowCount ?? 0
}

export async function pauseForCredits(db: Queryable, campaignIds: string[]): Promise<{ id: string; userId: string }[]> {
  if (campaignIds.length === 0) return []
  const { rows } = await db.query<{ id: string; userId: string }>(
    `UPDATE campaigns SET status = 'paused', status_reason = 'insufficient_credits', updated_at = now()
     WHERE id = ANY ($1::uuid[]) AND status = 'running' RETURNING id, user_id AS "userId"`,
    [campaignIds],
  )
  return rows
}

/** Running campaigns with nothing left to send become `completed`. */
export async function completeFinishedCampaigns(db: Queryable): Promise<{ id: string; userId: string }[]> {
  const { rows } = await db.query<{ id: string; userId: string }>(
    `UPDATE campaigns c SET status = 'completed', finished_at = now(), updated_at = now()
     WHERE c.status = 'running'
       AND NOT EXISTS (SELECT 1 FROM scheduled_emails e WHERE e.campaign_id = c.id AND e.status IN ('pending', 'sending'))
     RETURNING c.id, c.user_id AS "userId"`,
  )
  return rows
}
