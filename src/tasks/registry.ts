import type { Config } from '../config.js'
import { cronOf } from './occurrences.js'
import type { PreparedTask } from './runner.js'
import type { ScheduleEntry, TaskDeps } from './types.js'

/** The registry's entries, each with its cron parsed and its task built, by name. */
export function prepareTasks(schedules: readonly ScheduleEntry[], deps: TaskDeps, config: Pick<Config, 'tasks'>): Map<string, PreparedTask> {
  const prepared = new Map<string, PreparedTask>()
  for (const entry of schedules) {
    if (prepared.has(entry.name)) throw new Error(`task ${entry.name} is registered twice`)
    prepared.set(entry.name, { entry, cron: cronOf(entry.cron), run: entry.task(deps), budgetMs: entry.budgetMs ?? config.tasks.budgetMs })
  }
  return prepared
}

/** Task names whose cron is exactly `cron` (how a Workers cron trigger finds what to run). */
export function tasksForCron(schedules: readonly ScheduleEntry[], cron: string): string[] {
  return schedules.filter((s) => s.cron === cron).map((s) => s.name)
}
