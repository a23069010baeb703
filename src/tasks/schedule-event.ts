/**
 * The scheduled invocations AWS delivers to a Lambda, read as the task occurrence each one names:
 * - the input `cron:sync` writes, `{"lowtideTask": "<name>", "scheduledAt": "<time>"}`: an EventBridge
 *   rule's input transformer fills in the event's time, a Scheduler schedule its
 *   `<aws.scheduler.scheduled-time>`;
 * - a rule's raw Scheduled Event (`source: aws.events`), whose rule is named `<service>-<stage>-<task>`;
 * - a Scheduler's raw event (`source: aws.scheduler`), whose schedule ARN ends in the same name;
 * - a Scheduled Event that names no rule (serverless-offline's scheduler sends `resources: []`): a
 *   tick, which runs every task due at its time — a task due twice in one tick is one ledger
 *   occurrence, so ticks that overlap run it once.
 * What looks like a schedule but names no task throws: a failed invocation is what makes Lambda
 * retry, count an error and alarm, where an answer would look like success.
 */
import { dueAt, type Schedule } from './triggers.js'

export type { Schedule } from './triggers.js'

export interface ScheduledInvocation {
  name: string
  scheduledAt?: Date
}

export class ScheduleEventError extends Error {
  override name = 'ScheduleEventError'
}

type Json = Record<string, unknown>

/** The occurrence(s) `event` asks for; `undefined` when it is not a scheduled event at all. */
export function scheduledInvocations(event: unknown, schedules: readonly Schedule[]): ScheduledInvocation[] | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined
  const e = event as Json
  if ('lowtideTask' in e) return [fromInput(e)]
  if ((e.source === 'aws.events' || e.source === 'aws.scheduler') && e['detail-type'] === 'Scheduled Event') return fromRawEvent(e, schedules)
  if (Object.keys(e).length === 0) {
    throw new ScheduleEventError(
      'empty event ({}): EventBridge Scheduler sends {} for a schedule without input; give it the input {"lowtideTask":"<task>","scheduledAt":"<aws.scheduler.scheduled-time>"} (npm run cron:sync writes it)',
    )
  }
  return undefined
}

function fromInput(e: Json): ScheduledInvocation {
  if (typeof e.lowtideTask !== 'string' || e.lowtideTask === '') throw new ScheduleEventError(`lowtideTask must be a task name (got ${JSON.stringify(e.lowtideTask)})`)
  return { name: e.lowtideTask, scheduledAt: e.scheduledAt === undefined ? undefined : parseTime(e.scheduledAt) }
}

function fromRawEvent(e: Json, schedules: readonly Schedule[]): ScheduledInvocation[] {
  const resource = Array.isArray(e.resources) ? e.resources.find((r): r is string => typeof r === 'string') : undefined
  if (!resource) return tick(e, schedules)
  const taskNames = schedules.map((s) => s.name)
  // arn:aws:events:<region>:<account>:rule/<name> or arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>
  const scheduleName = resource.split('/').pop() ?? ''
  // The longest match wins: `outbox-sweep` must not be taken for a task named `sweep`.
  const name = [...taskNames].sort((a, b) => b.length - a.length).find((n) => scheduleName === n || scheduleName.endsWith(`-${n}`))
  if (!name) throw new ScheduleEventError(`${resource} names no registered task (tasks: ${taskNames.join(', ')})`)
  return [{ name, scheduledAt: e.time === undefined ? undefined : parseTime(e.time) }]
}

/** A tick: every task that occurs at the event's minute (in its own time zone), at that minute. */
function tick(e: Json, schedules: readonly Schedule[]): ScheduledInvocation[] {
  if (e.time === undefined) throw new ScheduleEventError(`a ${String(e.source)} Scheduled Event with neither a rule nor a time: cannot tell which task it is for`)
  const minute = parseTime(e.time)
  minute.setUTCSeconds(0, 0)
  const due = dueAt(schedules, minute).map((name) => ({ name, scheduledAt: new Date(minute) }))
  if (due.length === 0) throw new ScheduleEventError(`a Scheduled Event that names no rule, at ${minute.toISOString()}, when no task is due (tasks: ${schedules.map((s) => `${s.name} ${s.cron}`).join(', ')})`)
  return due
}

function parseTime(value: unknown): Date {
  const at = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(Number.NaN)
  if (Number.isNaN(at.getTime())) throw new ScheduleEventError(`scheduledAt must be an ISO time (got ${JSON.stringify(value)})`)
  return at
}
