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
