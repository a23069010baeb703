/**
 * `ledger-cleanup` (daily): prunes task runs older than `TASK_LEDGER_RETENTION_DAYS`, rate-limit
 * windows that ended over a day ago and used or expired verification tokens, in bounded batches.
 */
import type { Queryable } from '../db/types.js'
import type { TaskFactory } from './types.js'

const BATCH = 5000

const prunes: [name: string, sql: string, withRetention: boolean][] = [
  ['taskRuns', `DELETE FROM task_runs WHERE id IN (SELECT id FROM task_runs WHERE started_at < now() - make_interval(days => $1) AND status <> 'running' LIMIT $2)`, true],
  ['rateLimits', `DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE window_start < now() - interval '1 day' LIMIT $1)`, false],
  ['verificationTokens', `DELETE FROM email_verifications WHERE token_hash IN (SELECT token_hash FROM email_verifications WHERE (used_at IS NOT NULL OR expires_at < now()) AND created_at < now() - interval '30 days' LIMIT $1)`, false],
]

export const ledgerCleanup: TaskFactory = (deps) => async (ctx) => {
  const counts: Record<string, number> = {}
  let more = false
  for (const [name, sql, withRetention] of prunes) {
    counts[name] = 0
    for (;;) {
      if (ctx.budget.spent()) {
        more = true
        break
      }
      const deleted = await prune(ctx.db, sql, withRetention ? [deps.config.tasks.ledgerRetentionDays, BATCH] : [BATCH])
      counts[name] += deleted
      if (deleted < BATCH) break
    }
  }
  return { processed: Object.values(counts).reduce((a, b) => a + b, 0), more, ...counts }
}

async function prune(db: Queryable, sql: string, params: unknown[]): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0
}
