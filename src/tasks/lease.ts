/**
 * One lease row per task: holder, run id and expiry, taken with a single upsert that only
 * overwrites an expired lease. Two instances can never both hold it; a crashed run's lease
 * simply expires (budget + margin) and the next trigger takes it.
 */
import type { Queryable } from '../db/types.js'

export type LeaseAttempt = { taken: true } | { taken: false; holderRunId: string; holder: string; expiresAt: string }

export async function takeLease(db: Queryable, task: string, runId: string, holder: string, ttlMs: number): Promise<LeaseAttempt> {
  // The second sub-select reads the snapshot from before the upsert: the current holder, if not taken.
  const { rows } = await db.query<{ taken: string | null; holder_run_id: string | null; holder: string | null; expires_at: string | null }>(
    `WITH taken AS (
       INSERT INTO task_leases AS l (task, run_id, holder, acquired_at, expires_at)
       VALUES ($1, $2, $3, now(), now() + make_interval(secs => $4 / 1000.0))
       ON CONFLICT (task) DO UPDATE
         SET run_id = EXCLUDED.run_id, holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now()
       RETURNING run_id
     )
     SELECT (SELECT run_id FROM taken)::text AS taken, l.run_id::text AS holder_run_id, l.holder, to_json(l.expires_at)#>>'{}' AS expires_at
     FROM (SELECT 1) one LEFT JOIN task_leases l ON l.task = $1`,
    [task, runId, holder, ttlMs],
  )
  const row = rows[0]!
  if (row.taken) return { taken: true }
  if (row.holder_run_id !== null) return { taken: false, holderRunId: row.holder_run_id, holder: row.holder!, expiresAt: row.expires_at! }
  // Two first-ever takes at once: the other insert committed after this statement's snapshot, so
  // the conflict was seen but the row was not. A new statement sees it.
  const current = await db.query<{ run_id: string; holder: string; expires_at: string }>(
    `SELECT run_id::text, holder, to_json(expires_at)#>>'{}' AS expires_at FROM task_leases WHERE task = $1`,
    [task],
  )
  const lease = current.rows[0]!
  return { taken: false, holderRunId: lease.run_id, holder: lease.holder, expiresAt: lease.expires_at }
}

/** Gives the lease back, only if this run still holds it. */
export async function releaseLease(db: Queryable, task: string, runId: string): Promise<void> {
  await db.query(`UPDATE task_leases SET expires_at = now() WHERE task = $1 AND run_id = $2`, [task, runId])
}
