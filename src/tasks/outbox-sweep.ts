/**
 * `outbox-sweep` (every minute, src/queue/sweep.ts): republishes outbox rows the queue has not
 * delivered in time, or, with no queue configured, delivers them itself in batches until the budget
 * is spent — rows their handlers add are picked up by the same loop.
 */
import { Outbox } from '../queue/outbox.js'
import { dueRows, republishOverdue, REPUBLISH_LIMIT } from '../queue/sweep.js'
import type { TaskFactory } from './types.js'

const BATCH = 500

export const outboxSweep: TaskFactory = ({ queue, config }) => async (ctx) => {
  if (queue.publisher.enabled) {
    if (ctx.budget.spent()) return { processed: 0, more: true, mode: 'republished' }
    const processed = await republishOverdue(ctx.db, queue.publisher)
    return { processed, more: processed === REPUBLISH_LIMIT, mode: 'republished' }
  }
  let processed = 0
  for (;;) {
    if (ctx.budget.spent()) return { processed, more: true, mode: 'delivered' }
    const due = await dueRows(ctx.db, '0 seconds', BATCH)
    for (const row of due) {
      if (ctx.budget.spent()) break
      await queue.deliver(ctx.db, row.id, new Outbox(config.queue.maxAttempts))
      processed++
    }
    if (due.length < BATCH) return { processed, more: false, mode: 'delivered' }
  }
}
