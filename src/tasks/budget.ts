import type { TaskBudget } from './types.js'

export function createBudget(ms: number, now = Date.now()): TaskBudget {
  const deadline = now + ms
  return {
    deadline,
    remainingMs: () => Math.max(0, deadline - Date.now()),
    spent: () => Date.now() >= deadline,
  }
}

/**
 * Waits `ms`, or less if the budget ends first. The timer lives only for the wait and is cleared
 * either way: a task may pace itself, but nothing it starts outlives the run.
 */
export function pause(ms: number, budget: TaskBudget): Promise<void> {
  const wait = Math.min(ms, budget.remainingMs())
  if (wait <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      clearTimeout(timer)
      resolve()
    }, wait)
  })
}

/** What one batch of a task did: how many items it handled, and whether it was full (more may be waiting). */
export interface BatchOutcome {
  processed: number
  full: boolean
}

/**
 * The loop every task runs: bounded batches, one after another, until a batch comes back short
 * (nothing left) or the budget is spent (`more`: a continuation or the next occurrence picks up).
 * No batch starts after the deadline.
 */
export async function runBatches(budget: TaskBudget, batch: () => Promise<BatchOutcome>): Promise<{ processed: number; more: boolean; batches: number }> {
  let processed = 0
  let batches = 0
  while (!budget.spent()) {
    const outcome = await batch()
    processed += outcome.processed
    batches++
    if (!outcome.full) return { processed, more: false, batches }
  }
  return { processed, more: true, batches }
}
