/**
 * `outbox-sweep` (every minute, src/queue/sweep.ts): republishes outbox rows the queue has not
 * delivered in time, or, with no queue configured, delivers them itself in batches until the budget
 * is spent — rows their handlers add are picked up by the same loop. First it checks the schedules'
 * health (src/tasks/health.ts): a schedule that went missing or failing opens its incident here if
 * no one noticed before, and the alerts go out with the rest.
 */
import { Outbox } from '../queue/outbox.js'
import { dueRows, republishOverdue, REPUBLISH_LIMIT } from '../queue/sweep.js'
import { runBatches } from './budget.js'
import type { TaskFactory } from './types.js'

const BATCH = 500

export const outboxSweep: TaskFactory = ({ queue, config, schedules, logger }) => async (ctx) => {
  const health = await schedules.check(ctx.db, ctx.outbox).then(
    (r) => ({ status: r.status, incidentsOpened: r.opened.length }),
    (err: Error) => {
      logger.warn('schedule health check failed', { error: err.message })
      return { status: 'unknown', incidentsOpened: 0 }
    },
  )
  if (queue.publisher.enabled) {
    const { processed, more } = await runBatches(ctx.budget, async () => {
      const republished = await republishOverdue(ctx.db, queue.publisher)
      return { processed: republished, full: false } // one pass: what it republished is the queue's now
    })
    return { processed, more: more || processed === REPUBLISH_LIMIT, mode: 'republished', schedules: health }
  }
  const { processed, more } = await runBatches(ctx.budget, async () => {
    const due = await dueRows(ctx.db, '0 seconds', BATCH)
    let delivered = 0
    for (const row of due) {
      if (ctx.budget.spent()) return { processed: delivered, full: true }
      await queue.deliver(ctx.db, row.id, new Outbox(config.queue.maxAttempts))
      delivered++
    }
    return { processed: delivered, full: due.length === BATCH }
  })
  return { processed, more, mode: 'delivered', schedules: health }
}
