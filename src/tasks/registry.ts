import { cronOf } from './occurrences.js'
import type { PreparedTask } from './runner.js'
import type { ScheduleEntry, TaskRuntime } from './types.js'

/** The registry's entries, each with its cron parsed and its task built, by name. */
export function prepareTasks<S>(schedules: readonly ScheduleEntry<S>[], deps: TaskRuntime & S): Map<string, PreparedTask> {
  const prepared = new Map<string, PreparedTask>()
  for (const { task, ...entry } of schedules) {
    if (prepared.has(entry.name)) throw new Error(`task ${entry.name} is registered twice`)
    prepared.set(entry.name, { entry, cron: cronOf(entry.cron), run: task(deps), budgetMs: entry.budgetMs ?? deps.config.tasks.budgetMs })
  }
  return prepared
}

/** Task names whose cron is exactly `cron` (how a Workers cron trigger finds what to run). */
export function tasksForCron(schedules: readonly { name: string; cron: string }[], cron: string): string[] {
  return schedules.filter((s) => s.cron === cron).map((s) => s.name)
}
