/** Campaign rows and their steps and targets; every read is one statement, lists included. */
import type { Queryable } from '../../db/types.js'
import type { Campaign, CreateCampaignInput, UpdateCampaignInput } from './schema.js'
import type { CampaignStatus } from './state.js'

const ts = (column: string, alias: string) => `to_json(${column})#>>'{}' AS "${alias}"`

/** Steps, target count and email stats come from correlated sub-queries: no N+1 from the caller. */
const campaignSelect = `
  SELECT c.id, c.name, c.from_email AS "fromEmail", c.from_name AS "fromName",
    c.subject_template AS subject, c.body_template AS body, c.status, c.status_reason AS "statusReason",
    ${ts('c.start_at', 'startAt')}, ${ts('c.started_at', 'startedAt')}, ${ts('c.finished_at', 'finishedAt')},
    ${ts('c.created_at', 'createdAt')}, ${ts('c.updated_at', 'updatedAt')},
    (SELECT count(*)::int FROM campaign_contacts cc WHERE cc.campaign_id = c.id) AS "contactCount",
    (SELECT coalesce(json_agg(json_build_object(
        'position', s.position, 'delayMinutes', s.delay_seconds / 60, 'onlyIfNoReply', s.only_if_no_reply,
        'subject', s.subject_template, 'body', s.body_template) ORDER BY s.position), '[]')
     FROM campaign_steps s WHERE s.campaign_id = c.id) AS steps,
    (SELECT json_build_object(
        'pending', count(*) FILTER (WHERE e.status = 'pending'), 'sending', count(*) FILTER (WHERE e.status = 'sending'),
        'sent', count(*) FILTER (WHERE e.status = 'sent'), 'failed', count(*) FILTER (WHERE e.status = 'failed'),
        'skipped', count(*) FILTER (WHERE e.status = 'skipped'), 'cancelled', count(*) FILTER (WHERE e.status = 'cancelled'),
        'total', count(*))
     FROM scheduled_emails e WHERE e.campaign_id = c.id) AS stats
  FROM campaigns c`

export async function findCampaign(db: Queryable, userId: string, id: string): Promise<Campaign | undefined> {
  const { rows } = await db.query<Campaign>(`${campaignSelect} WHERE c.id = $1 AND c.user_id = $2`, [id, userId])
  return rows[0]
}

export async function listCampaigns(
  db: Queryable,
  userId: string,
  status: CampaignStatus | undefined,
  keysetWhere: string,
  params: unknown[],
  limit: number,
): Promise<Campaign[]> {
  const { rows } = await db.query<Campaign>(
    `${campaignSelect} WHERE c.user_id = $1 AND ($3::text IS NULL OR c.status = $3) AND ${keysetWhere}
     ORDER BY c.created_at DESC, c.id DESC LIMIT $2`,
    [userId, limit + 1, status ?? null, ...params],
  )
  return rows
}

export async function insertCampaign(db: Queryable, userId: string, input: CreateCampaignInput): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO campaigns (user_id, name, from_email, from_name, subject_template, body_template, start_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [userId, input.name, input.fromEmail, input.fromName ?? null, input.subject, input.body, input.startAt ?? null],
  )
  return rows[0]!.id
}

/** Changes the fields present in `input`; only a draft matches. `false`: not found or not a draft. */
export async function updateDraft(db: Queryable, userId: string, id: string, input: UpdateCampaignInput): Promise<boolean> {
  const has = (key: keyof UpdateCampaignInput) => key in input
  const { rowCount } = await db.query(
    `UPDATE campaigns SET
       name             = CASE WHEN $3 THEN $4 ELSE name END,
       from_email       = CASE WHEN $5 THEN $6 ELSE from_email END,
       from_name        = CASE WHEN $7 THEN $8 ELSE from_name END,
       subject_template = CASE WHEN $9 THEN $10 ELSE subject_template END,
       body_template    = CASE WHEN $11 THEN $12 ELSE body_template END,
       start_at         = CASE WHEN $13 THEN $14::timestamptz ELSE start_at END,
       updated_at       = now()
     WHERE id = $1 AND user_id = $2 AND status = 'draft'`,
    [
      id, userId,
      has('name'), input.name ?? null,
      has('fromEmail'), input.fromEmail ?? null,
      has('fromName'), input.fromName ?? null,
      has('subject'), input.subject ?? null,
      has('body'), input.body ?? null,
      has('startAt'), input.startAt ?? null,
    ],
  )
  return (rowCount ?? 0) > 0
}

/** Step 1 (the campaign's own email) plus the follow-ups, replacing any there were. */
export async function replaceSteps(db: Queryable, campaignId: string, followUps: NonNullable<CreateCampaignInput['followUps']>): Promise<void> {
  const steps = [
    { position: 1, delaySeconds: 0, onlyIfNoReply: false, subject: null, body: null },
    ...followUps.map((f, i) => ({ position: i + 2, delaySeconds: f.delayMinutes * 60, onlyIfNoReply: f.onlyIfNoReply, subject: f.subject ?? null, body: f.body ?? null })),
  ]
  await db.query(`DELETE FROM campaign_steps WHERE campaign_id = $1`, [campaignId])
  await db.query(
    `INSERT INTO campaign_steps (campaign_id, position, delay_seconds, only_if_no_reply, subject_template, body_template)
     SELECT $1, s.position, s."delaySeconds", s."onlyIfNoReply", s.subject, s.body
     FROM jsonb_to_recordset($2::jsonb) AS s(position int, "delaySeconds" int, "onlyIfNoReply" boolean, subject text, body text)`,
    [campaignId, JSON.stringify(steps)],
  )
}

/**
 * Sets the campaign's targets to `contactIds` (only the user's own contacts match) or, when
 * `contactIds` is null, to all of the user's contacts. Returns how many are targeted.
 */
export async function replaceTargets(db: Queryable, userId: string, campaignId: string, contactIds: string[] | null): Promise<number> {
  await db.query(`DELETE FROM campaign_contacts WHERE campaign_id = $1`, [campaignId])
  const { rowCount } = await db.query(
    `INSERT INTO campaign_contacts (campaign_id, contact_id)
     SELECT $1, ct.id FROM contacts ct
     WHERE ct.user_id = $2 AND ($3::uuid[] IS NULL OR ct.id = ANY ($3::uuid[]))`,
    [campaignId, userId, contactIds],
  )
  return rowCount ?? 0
}

/** Moves the campaign if its status is one of `from`; `undefined` when it did not match. */
export async function transition(
  db: Queryable,
  userId: string,
  id: string,
  from: readonly CampaignStatus[],
  to: CampaignStatus,
  reason: string | null,
): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE campaigns SET
       status = $4, status_reason = $5, updated_at = now(),
       start_at    = CASE WHEN status = 'draft' AND $4 = 'running' THEN greatest(coalesce(start_at, now()), now()) ELSE start_at END,
       started_at  = CASE WHEN $4 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
       finished_at = CASE WHEN $4 IN ('completed', 'cancelled') THEN now() ELSE finished_at END
     WHERE id = $1 AND user_id = $2 AND status = ANY ($3::text[])
     RETURNING id`,
    [id, userId, from, to, reason],
  )
  return rows[0]
}

export async function findStatus(db: Queryable, userId: string, id: string): Promise<CampaignStatus | undefined> {
  const { rows } = await db.query<{ status: CampaignStatus }>(`SELECT status FROM campaigns WHERE id = $1 AND user_id = $2`, [id, userId])
  return rows[0]?.status
}

/** One scheduled email per targeted contact for step 1, due at the campaign's start: one statement. */
export async function materialiseFirstStep(db: Queryable, campaignId: string): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO scheduled_emails (campaign_id, step_position, contact_id, user_id, send_at)
     SELECT c.id, 1, cc.contact_id, c.user_id, c.start_at
     FROM campaigns c JOIN campaign_contacts cc ON cc.campaign_id = c.id
     WHERE c.id = $1
     ON CONFLICT (campaign_id, step_position, contact_id) DO NOTHING`,
    [campaignId],
  )
  return rowCount ?? 0
}

export async function cancelPendingEmails(db: Queryable, campaignId: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE scheduled_emails SET status = 'cancelled' WHERE campaign_id = $1 AND status = 'pending'`,
    [campaignId],
  )
  return rowCount ?? 0
}

export async function deleteCampaign(db: Queryable, userId: string, id: string, statuses: readonly string[]): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM campaigns WHERE id = $1 AND user_id = $2 AND status = ANY ($3::text[])`, [id, userId, statuses])
  return (rowCount ?? 0) > 0
}
