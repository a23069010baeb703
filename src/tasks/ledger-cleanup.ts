/**
 * `ledger-cleanup` (daily): prunes task runs older than `TASK_LEDGER_RETENTION_DAYS` and rate-limit
 * windows that ended over a day ago — plus whatever the app adds (its own spent rows) — in bounded
 * batches until the budget is spent.
 */
import type { TaskFactory } from './types.js'

const BATCH = 5000

/** One kind of row to prune: `sql` deletes at most `$1` rows (the batch size); `$2`… are `params`. */
export interface Prune {
  /** Its count's name in the run's result. */
  name: string
  sql: string
  params?: readonly unknown[]
}

export function ledgerCleanup(appPrunes: readonly Prune[] = []): TaskFactory {
  return ({ config }) => {
    const prunes: Prune[] = [
      {
        name: 'taskRuns',
        sql: `DELETE FROM task_runs WHERE id IN (SELECT id FROM task_runs WHERE started_at < now() - make_interval(days => $2) AND status <> 'running' LIMIT $1)`,
        params: [config.tasks.ledgerRetentionDays],
      },
      { name: 'rateLimits', sql: `DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE window_start < now() - interval '1 day' LIMIT $1)` },
      ...appPrunes,
    ]
    return async (ctx) => {
      const counts: Record<string, number> = {}
      let more = false
      for (const { name, sql, params = [] } of prunes) {
        counts[name] = 0
        for (;;) {
          if (ctx.budget.spent()) {
            more = true
            break
          }
          const deleted = (await ctx.db.query(sql, [BATCH, ...params])).rowCount ?? 0
          counts[name] += deleted
          if (deleted < BATCH) break
        }
      }
      return { processed: Object.values(counts).reduce((a, b) => a + b, 0), more, ...counts }
    }
  }
}
