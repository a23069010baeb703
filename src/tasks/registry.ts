import { cronOf } from './occurrences.js'
import type { PreparedTask } from './runner.js'
import type { ScheduleEntry, TaskRuntime } from './types.js'

/** The registry's entries, each with its cron parsed and its task built, by name. */
export function prepareTasks<S>(schedules: readonly ScheduleEntry<S>[], deps: TaskRuntime & S): Map<string, PreparedTask> {
  const prepared = new Map<string, PreparedTask>()
  for (const { task, ...entry } of schedules) {
    if (prepared.has(entry.name)) throw new Error(`task ${entry.name} is registered twice`)
    let cron
    try {
      cron = cronOf(entry.cron, entry.timezone)
    } catch (err) {
      throw new Error(`task ${entry.name}: ${(err as Error).message}`)
    }
    prepared.set(entry.name, { entry, cron, run: task(deps), budgetMs: entry.budgetMs ?? deps.config.tasks.budgetMs })
  }
  return prepared
}


