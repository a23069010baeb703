/**
 * The occurrence ledger: one row per (task, scheduled time). Opening an occurrence that already
 * succeeded (or was skipped) does nothing, so the same occurrence delivered twice runs once. A
 * failed occurrence, or one left `running` by a crashed run, is reopened — the caller holds the
 * task's lease, so no live run can own it.
 */
import type { Queryable } from '../db/types.js'

export type Opened = { opened: true; id: string; attempts: number } | { opened: false; id: string; status: string }

export async function openOccurrence(db: Queryable, task: string, scheduledAt: Date, trigger: string, id: string, triggerRef?: string): Promise<Opened> {
  const { rows } = await db.query<{ id: string; attempts: number }>(
    `INSERT INTO task_runs AS r (id, task, scheduled_at, status, trigger, trigger_ref) VALUES ($1, $2, $3, 'running', $4, $5)
     ON CONFLICT (task, scheduled_at) DO UPDATE
       SET id = EXCLUDED.id, status = 'running', trigger = EXCLUDED.trigger, trigger_ref = coalesce(EXCLUDED.trigger_ref, r.trigger_ref),
           attempts = r.attempts + 1, started_at = now(), finished_at = NULL, error = NULL, processed = 0, more = false
       WHERE r.status IN ('failed', 'running')
     RETURNING id, attempts`,
    [id, task, scheduledAt, trigger, triggerRef ?? null],
  )
  if (rows[0]) return { opened: true, id: rows[0].id, attempts: rows[0].attempts }
  const existing = await db.query<{ id: string; status: string }>(`SELECT id, status FROM task_runs WHERE task = $1 AND scheduled_at = $2`, [task, scheduledAt])
  return { opened: false, id: existing.rows[0]!.id, status: existing.rows[0]!.status }
}

export async function finishOccurrence(
  db: Queryable,
  id: string,
  outcome: { status: 'succeeded' | 'failed'; processed: number; more: boolean; error?: string },
): Promise<void> {
  await db.query(
    `UPDATE task_runs SET status = $2, processed = $3, more = $4, error = $5, finished_at = now() WHERE id = $1`,
    [id, outcome.status, outcome.processed, outcome.more, outcome.error ?? null],
  )
}

/** The occurrence a delivery identified by `triggerRef` opened before (a retry of that delivery is for the same one). */
export async function occurrenceOfDelivery(db: Queryable, task: string, triggerRef: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ at: Date }>(`SELECT scheduled_at AS at FROM task_runs WHERE task = $1 AND trigger_ref = $2 LIMIT 1`, [task, triggerRef])
  return rows[0]?.at
}

/** The latest occurrence on record before `before`, if any. */
export async function lastOccurrence(db: Queryable, task: string, before: Date): Promise<Date | undefined> {
  const { rows } = await db.query<{ at: Date | null }>(`SELECT max(scheduled_at) AS at FROM task_runs WHERE task = $1 AND scheduled_at < $2`, [task, before])
  return rows[0]?.at ?? undefined
}

/** Missed occurrences that policy says not to run, recorded so the ledger shows the gap. */
export async function recordSkipped(db: Queryable, task: string, times: Date[]): Promise<void> {
  if (times.length === 0) return
  await db.query(
    `INSERT INTO task_runs (task, scheduled_at, status, trigger, started_at, finished_at, error)
     SELECT $1, t, 'skipped', 'catch-up', now(), now(), 'missed occurrence skipped by catch-up policy' FROM unnest($2::timestamptz[]) t
     ON CONFLICT (task, scheduled_at) DO NOTHING`,
    [task, times],
  )
}

/** One kind of row to prune: `sql` deletes at most `$1` rows (the batch size); `$2`… are `params`. */
export interface Prune {
  /** Its count's name in the run's result. */
  name: string
  sql: string
  params?: readonly unknown[]
}

/** Finished task runs older than `retentionDays`. */
export const pruneTaskRuns = (retentionDays: number): Prune => ({
  name: 'taskRuns',
  // Each task's latest occurrence stays, whatever its age: it is what a trigger of a task that runs
  // less often than the retention (yearly) is checked against, and where missed occurrences start.
  sql: `DELETE FROM task_runs WHERE id IN (
          SELECT id FROM task_runs r WHERE started_at < now() - make_interval(days => $2) AND status <> 'running'
            AND scheduled_at < (SELECT max(scheduled_at) FROM task_runs l WHERE l.task = r.task)
          LIMIT $1)`,
  params: [retentionDays],
})

/** Rate-limit windows that ended over a day ago. */
export const pruneRateLimitWindows: Prune = {
  name: 'rateLimits',
  sql: `DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE window_start < now() - interval '1 day' LIMIT $1)`,
}
