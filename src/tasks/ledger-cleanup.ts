/**
 * `ledger-cleanup` (daily): prunes task runs older than `TASK_LEDGER_RETENTION_DAYS` and rate-limit
 * windows that ended over a day ago — plus whatever the app adds (its own spent rows) — in bounded
 * batches until the budget is spent.
 */
import { runBatches } from './budget.js'
import { pruneRateLimitWindows, pruneTaskRuns, type Prune } from './ledger.js'
import type { TaskFactory } from './types.js'

export type { Prune } from './ledger.js'

const BATCH = 5000

export function ledgerCleanup(appPrunes: readonly Prune[] = []): TaskFactory {
  return ({ config }) => {
    const prunes = [pruneTaskRuns(config.tasks.ledgerRetentionDays), pruneRateLimitWindows, ...appPrunes]
    return async (ctx) => {
      const counts: Record<string, number> = Object.fromEntries(prunes.map((p) => [p.name, 0]))
      for (const { name, sql, params = [] } of prunes) {
        const pruned = await runBatches(ctx.budget, async () => {
          const deleted = (await ctx.db.query(sql, [BATCH, ...params])).rowCount ?? 0
          return { processed: deleted, full: deleted === BATCH }
        })
        counts[name] = pruned.processed
        if (pruned.more) return { processed: sum(counts), more: true, ...counts }
      }
      return { processed: sum(counts), more: false, ...counts }
    }
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)
