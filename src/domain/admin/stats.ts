/**
 * `GET /v1/admin/stats`: each figure is its own probe, run in its own savepoint under a statement
 * timeout (`ADMIN_STATS_TIMEOUT_MS`). A probe that fails or times out is reported and left out;
 * the answer still comes, with `degraded: true`. Expensive scans are bounded (`LIMIT 365`).
 */
import type { Db, Queryable } from '../../db/types.js'
import type { Logger } from '../../logger.js'

type Probe = (db: Queryable) => Promise<unknown>

const one = async (db: Queryable, sql: string) => (await db.query(sql)).rows[0]

export const adminProbes: Record<string, Probe> = {
  users: (db) =>
    one(
      db,
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE email_verified_at IS NOT NULL)::int AS verified,
         count(*) FILTER (WHERE role = 'admin')::int AS admins, coalesce(sum(credit_balance), 0)::bigint::text AS "creditsOutstanding"
       FROM users`,
    ),
  campaigns: (db) =>
    one(
      db,
      `SELECT count(*) FILTER (WHERE status = 'draft')::int AS draft, count(*) FILTER (WHERE status = 'running')::int AS running,
         count(*) FILTER (WHERE status = 'paused')::int AS paused, count(*) FILTER (WHERE status = 'completed')::int AS completed,
         count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
       FROM campaigns`,
    ),
  emailsPerDay: async (db) =>
    (
      await db.query(
        `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*)::int AS sent
         FROM sent_emails WHERE created_at >= now() - interval '365 days'
         GROUP BY 1 ORDER BY 1 DESC LIMIT 365`,
      )
    ).rows,
  backlog: (db) =>
    one(
      db,
      `SELECT count(*) FILTER (WHERE send_at <= now())::int AS "emailsDue", count(*)::int AS "emailsPending"
       FROM scheduled_emails WHERE status = 'pending'`,
    ),
  tasks: (db) =>
    one(
      db,
      `SELECT count(*) FILTER (WHERE status = 'running')::int AS running,
         count(*) FILTER (WHERE status = 'failed' AND started_at > now() - interval '24 hours')::int AS "failedLast24h",
         count(*) FILTER (WHERE more AND started_at > now() - interval '1 hour')::int AS "unfinishedLastHour"
       FROM task_runs WHERE started_at > now() - interval '24 hours'`,
    ),
}

export interface AdminStats {
  generatedAt: string
  degraded: boolean
  failures: { probe: string; error: string }[]
  [probe: string]: unknown
}

export async function adminStats(db: Db, timeoutMs: number, logger: Logger, probes = adminProbes): Promise<AdminStats> {
  const stats: AdminStats = { generatedAt: new Date().toISOString(), degraded: false, failures: [] }
  await db.withTransaction(async (tx) => {
    await tx.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)])
    for (const [name, probe] of Object.entries(probes)) {
      try {
        stats[name] = await tx.withTransaction((sp) => probe(sp))
      } catch (err) {
        stats[name] = null
        stats.degraded = true
        stats.failures.push({ probe: name, error: (err as Error).message })
        logger.warn('admin stats probe failed', { probe: name, error: (err as Error).message })
      }
    }
  })
  return stats
}
