/**
 * The registry as EventBridge Scheduler schedules (`AWS::Scheduler::Schedule`), one per task, for
 * serverless.yml's `resources.Resources`: the cron in the entry's time zone (Scheduler reads
 * `ScheduleExpressionTimezone` natively, daylight saving included), flexible window off, a retry
 * policy and a dead-letter queue per schedule, and an input naming the task and the occurrence.
 *
 * Scheduler skips a local time that spring-forward removes (a 02:30 job does not run that day);
 * lowtide's rule is that it runs at the first instant after the gap. So an entry whose occurrences
 * can fall in a gap gets a second, "gap" schedule at that instant's local time, on the days of week
 * and months the zone springs forward: on other such days the task route takes its firing for the
 * occurrence before it (a duplicate in the ledger), on the transition day it is the occurrence.
 */
import { cronOf, isOccurrence } from '../src/tasks/occurrences.js'
import { offsetAt, zoneChanges } from '../src/tasks/zones.js'
import type { ScheduleEntry } from '../src/tasks/types.js'

export const SCHEDULE_GROUP = 'TaskScheduleGroup'
export const SCHEDULER_ROLE = 'TaskSchedulerRole'
export const DEFAULT_DEAD_LETTER_QUEUE = 'TaskScheduleDeadLetters'
export const TASKS_LAMBDA = 'TasksLambdaFunction'
/** What Scheduler puts in place of this in the input: the occurrence's time, ISO 8601 UTC. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>'

export interface SchedulerSchedule {
  logicalId: string
  task: string
  /** `gap`: the second schedule of a zoned entry, for the day spring-forward skips its time. */
  kind: 'occurrences' | 'gap'
  description: string
  expression: string
  timezone: string
  retryAttempts: number
  maxEventAgeSeconds: number
  deadLetterQueue: string
}

const awsDays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

/** Five-field cron (0–6 = Sun–Sat) → AWS's six fields: `?` in day-of-month or day-of-week, days of week 1–7, a year. */
export function toAwsCron(cron: string): string {
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5) throw new Error(`"${cron}": expected five fields (minute hour day-of-month month day-of-week)`)
  let [minute, hour, dom, month, dow] = fields as [string, string, string, string, string]
  if (dom !== '*' && dow !== '*') throw new Error(`"${cron}": AWS cannot restrict both day-of-month and day-of-week`)
  dow = dow.replace(/\d+/g, (n) => awsDays[Number(n) % 7]!)
  if (dow === '*') dow = '?'
  else dom = '?'
  return `cron(${minute} ${hour} ${dom} ${month} ${dow} *)`
}

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())

export function schedulerSchedules(entries: readonly ScheduleEntry[], from = new Date()): SchedulerSchedule[] {
  return entries.flatMap((entry) => {
    const aws = entry.aws ?? {}
    const retryAttempts = aws.maximumRetryAttempts ?? 2
    const maxEventAgeSeconds = aws.maximumEventAgeInSeconds ?? 3600
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) throw new Error(`${entry.name}: aws.maximumRetryAttempts must be a whole number from 0 to 185 (got ${retryAttempts})`)
    if (!Number.isInteger(maxEventAgeSeconds) || maxEventAgeSeconds < 60 || maxEventAgeSeconds > 86_400) throw new Error(`${entry.name}: aws.maximumEventAgeInSeconds must be a whole number from 60 to 86400 (got ${maxEventAgeSeconds})`)
    const common = { task: entry.name, timezone: entry.timezone ?? 'UTC', retryAttempts, maxEventAgeSeconds, deadLetterQueue: aws.deadLetterQueue ?? DEFAULT_DEAD_LETTER_QUEUE }
    const main: SchedulerSchedule = { ...common, logicalId: `TaskSchedule${pascal(entry.name)}`, kind: 'occurrences', description: entry.description, expression: toAwsCron(entry.cron) }
    const gap = entry.timezone ? gapExpression(entry, entry.timezone, from) : undefined
    if (!gap) return [main]
    return [main, { ...common, logicalId: `${main.logicalId}Gap`, kind: 'gap', description: `${entry.name} on the day ${entry.timezone} springs forward over its time`, expression: gap }]
  })
}

/**
 * The gap schedule of a zoned entry, when any of its occurrences in the coming year is a local time
 * spring-forward skipped (croner moves it to the transition instant): at that instant's local
 * minute and hour, on the transitions' months and days of week.
 */
function gapExpression(entry: ScheduleEntry, zone: string, from: Date): string | undefined {
  const cron = cronOf(entry.cron, zone)
  const { transitions } = zoneChanges(zone, from, 400)
  const local = (at: Date) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', month: 'numeric', weekday: 'short' }).formatToParts(at).map((p) => [p.type, p.value]))
    return { minute: Number(parts.minute), hour: Number(parts.hour), month: Number(parts.month), day: awsDays.indexOf(String(parts.weekday).toUpperCase().slice(0, 3)) }
  }
  // A forward transition is one whose offset grows: the instant before it is an hour (or so) earlier in local time.
  const forward = transitions.filter((t) => offsetAt(zone, t) > offsetAt(zone, new Date(t.getTime() - 60_000)) && isOccurrence(cron, t) && !matchesLiterally(entry, zone, t))
  if (forward.length === 0) return undefined
  const times = forward.map(local)
  const distinct = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b)
  const [minutes, hours] = [distinct(times.map((t) => t.minute)), distinct(times.map((t) => t.hour))]
  return `cron(${minutes.join(',')} ${hours.join(',')} ? ${distinct(times.map((t) => t.month)).join(',')} ${distinct(times.map((t) => t.day)).map((d) => awsDays[d]).join(',')} *)`
}

/** Whether the entry's pattern names this instant's local time itself (then Scheduler fires it anyway). */
function matchesLiterally(entry: ScheduleEntry, zone: string, at: Date): boolean {
  const shifted = new Date(at.getTime() + offsetAt(zone, at) * 60_000)
  return cronOf(entry.cron).match(shifted)
}

/** The input Scheduler hands the tasks function: the task and the occurrence's time. */
export const schedulerInput = (task: string) => JSON.stringify({ lowtideTask: task, scheduledAt: SCHEDULED_TIME })

/** The schedules as YAML for serverless.yml's `resources.Resources` (indented to sit under it). */
export function renderSchedulerResources(schedules: readonly SchedulerSchedule[]): string[] {
  return schedules.flatMap((s) => [
    `    # ${s.kind === 'gap' ? s.description : `${s.task}: ${s.description}`}`,
    `    ${s.logicalId}:`,
    '      Type: AWS::Scheduler::Schedule',
    '      Properties:',
    `        Name: ${s.kind === 'gap' ? `${s.task}-gap` : s.task}`,
    `        GroupName: !Ref ${SCHEDULE_GROUP}`,
    `        Description: ${JSON.stringify(s.description.slice(0, 512))}`,
    `        ScheduleExpression: ${s.expression}`,
    `        ScheduleExpressionTimezone: ${s.timezone}`,
    '        FlexibleTimeWindow:',
    "          Mode: 'OFF'",
    '        State: ENABLED',
    '        Target:',
    `          Arn: !GetAtt ${TASKS_LAMBDA}.Arn`,
    `          RoleArn: !GetAtt ${SCHEDULER_ROLE}.Arn`,
    `          Input: '${schedulerInput(s.task)}'`,
    '          RetryPolicy:',
    `            MaximumRetryAttempts: ${s.retryAttempts}`,
    `            MaximumEventAgeInSeconds: ${s.maxEventAgeSeconds}`,
    '          DeadLetterConfig:',
    `            Arn: !GetAtt ${s.deadLetterQueue}.Arn`,
  ])
}
