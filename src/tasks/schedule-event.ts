/**
 * The scheduled invocations AWS delivers to a Lambda, read as the task occurrence each one names:
 * - the input `cron:sync` writes, `{"lowtideTask": "<name>", "scheduledAt": "<time>"}`: an EventBridge
 *   rule's input transformer fills in the event's time, a Scheduler schedule its
 *   `<aws.scheduler.scheduled-time>`;
 * - a rule's raw Scheduled Event (`source: aws.events`), whose rule is named `<service>-<stage>-<task>`;
 * - a Scheduler's raw event (`source: aws.scheduler`), whose schedule ARN ends in the same name.
 * What looks like a schedule but names no task throws: a failed invocation is what makes Lambda
 * retry, count an error and alarm, where an answer would look like success.
 */
export interface ScheduledInvocation {
  name: string
  scheduledAt?: Date
}

export class ScheduleEventError extends Error {
  override name = 'ScheduleEventError'
}

type Json = Record<string, unknown>

/** The occurrence `event` asks for; `undefined` when it is not a scheduled event at all. */
export function scheduledInvocation(event: unknown, taskNames: readonly string[]): ScheduledInvocation | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined
  const e = event as Json
  if ('lowtideTask' in e) return fromInput(e)
  if ((e.source === 'aws.events' || e.source === 'aws.scheduler') && e['detail-type'] === 'Scheduled Event') return fromRawEvent(e, taskNames)
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

function fromRawEvent(e: Json, taskNames: readonly string[]): ScheduledInvocation {
  const resource = Array.isArray(e.resources) ? e.resources.find((r): r is string => typeof r === 'string') : undefined
  if (!resource) {
    throw new ScheduleEventError(`a ${String(e.source)} Scheduled Event that names no rule or schedule (resources: ${JSON.stringify(e.resources ?? null)}): cannot tell which task it is for`)
  }
  // arn:aws:events:<region>:<account>:rule/<name> or arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>
  const scheduleName = resource.split('/').pop() ?? ''
  // The longest match wins: `outbox-sweep` must not be taken for a task named `sweep`.
  const name = [...taskNames].sort((a, b) => b.length - a.length).find((n) => scheduleName === n || scheduleName.endsWith(`-${n}`))
  if (!name) throw new ScheduleEventError(`${resource} names no registered task (tasks: ${taskNames.join(', ')})`)
  return { name, scheduledAt: e.time === undefined ? undefined : parseTime(e.time) }
}

function parseTime(value: unknown): Date {
  const at = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(Number.NaN)
  if (Number.isNaN(at.getTime())) throw new ScheduleEventError(`scheduledAt must be an ISO time (got ${JSON.stringify(value)})`)
  return at
}
