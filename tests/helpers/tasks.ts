import { schedules } from '../../cron/schedules.js'
import type { Env } from '../../src/config.js'
import { taskRequest } from '../../src/tasks/trigger.js'
import type { ScheduleEntry } from '../../src/tasks/types.js'
import { testApp, type TestApp } from './app.js'

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef'

/** The real app with the real registry (or `entries`) and a signing secret. */
export function taskApp(url: string, env: Env = {}, entries: readonly ScheduleEntry[] = schedules): TestApp {
  const t = testApp(url, { TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, DISPATCH_RATE_PER_USER: '100000', ...env })
  // testApp builds the app without schedules: rebuild it with them, over the same pool.
  return t.withSchedules(entries)
}

/** Runs a task through its signed endpoint, as every trigger does. */
export async function runTask(t: TestApp, name: string, scheduledAt?: Date, trigger = 'test'): Promise<{ status: number; body: any }> {
  const res = await t.app.request(taskRequest('http://local', name, { secret: TEST_SIGNING_SECRET, scheduledAt, trigger }))
  return { status: res.status, body: await res.json() }
}

/**
 * Distinct occurrences of an every-minute task, one per call, ascending from `start` (a day ago): a
 * trigger's time stands for the cron's occurrence at or before it, so runs a second apart would be
 * one occurrence, and every run after the first a duplicate.
 */
export function minuteOccurrences(start = Date.now() - 86_400_000): () => Date {
  let next = Math.floor(start / 60_000) * 60_000
  return () => new Date((next += 60_000))
}
