/**
 * Which platform cron triggers fire which registry entries, computed the same way by `cron:sync`
 * (which writes them) and by the Worker's `scheduled()` (which receives them), so both agree without
 * sharing a file:
 * - an entry in UTC fires on its own cron (day-of-week as names: Cloudflare reads `1`–`7` from Sunday);
 * - an entry with a time zone fires on a UTC cover: every minute-of-hour its occurrences fall on, at
 *   every hour — Workers crons are UTC only, so the cover includes each offset the zone takes and the
 *   instants daylight saving moves occurrences to; which firing is the occurrence is decided by local
 *   time (`isOccurrence`);
 * - folded (more distinct triggers than the platform allows): one every-minute tick fires them all,
 *   written `*\/1 * * * *` so that it is never mistaken for an every-minute entry's own trigger (a
 *   Worker cannot see which triggers are deployed, only the string of the one that fired).
 * Whatever fires, a task runs only at its own occurrences, and the ledger runs each occurrence once.
 */
import { cronOf, isOccurrence } from './occurrences.js'
import { zoneChanges } from './zones.js'

/** Every minute, as an entry's own trigger. */
export const EVERY_MINUTE = '* * * * *'
/** Every minute, as the tick that folded schedules share: the same instants, another string. */
export const TICK = '*/1 * * * *'

export interface Schedule {
  name: string
  cron: string
  timezone?: string
}

const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

/** The cron a Workers trigger is written with: day-of-week numbers as names. */
export function toWorkersCron(cron: string): string {
  const fields = cron.trim().split(/\s+/)
  if (fields.length !== 5) throw new Error(`"${cron}": expected five fields (minute hour day-of-month month day-of-week)`)
  fields[4] = fields[4]!.replace(/\d+/g, (n) => dayNames[Number(n) % 7]!)
  return fields.join(' ')
}

/** How far ahead a zoned entry's UTC trigger looks for the zone's offsets: both DST changes, with room. */
const COVER_DAYS = 400

// Per isolate / process: a Worker answers many firings with the same registry.
const crons = new Map<string, ReturnType<typeof cronOf>>()
const covers = new Map<string, string>()
const key = (entry: Schedule) => `${entry.cron}|${entry.timezone ?? ''}`
/** The entry's cron (in its time zone), parsed once per process. */
export const cronFor = (entry: Schedule) => crons.get(key(entry)) ?? crons.set(key(entry), cronOf(entry.cron, entry.timezone)).get(key(entry))!

/** The Workers trigger of one entry, not folded. */
export function ownTrigger(entry: Schedule, from?: Date): string {
  if (!entry.timezone) return toWorkersCron(entry.cron)
  const cached = from ? undefined : covers.get(key(entry))
  if (cached) return cached
  const cover = utcCover(entry, entry.timezone, from ?? new Date())
  if (!from) covers.set(key(entry), cover)
  return cover
}

/**
 * Every UTC minute-of-hour a zoned entry can occur at: each of its local minutes shifted by each
 * offset the zone takes, and the minute each transition happens at (where croner puts a local time
 * that spring-forward skipped). At every hour: which hours are occurrences is local time's to say.
 */
function utcCover(entry: Schedule, zone: string, from: Date): string {
  const { offsets, transitions } = zoneChanges(zone, from, COVER_DAYS)
  const minutes = new Set(transitions.map((t) => t.getUTCMinutes()))
  for (const local of minutesOf(entry.cron)) for (const offset of offsets) minutes.add((((local - offset) % 60) + 60) % 60)
  if (minutes.size === 60) return EVERY_MINUTE
  return `${[...minutes].sort((a, b) => a - b).join(',')} * * * *`
}

/** The minutes-of-hour a cron's minute field names. */
function minutesOf(pattern: string): number[] {
  const minuteField = pattern.trim().split(/\s+/)[0]!
  const hour = cronOf(`${minuteField} * * * *`)
  const minutes: number[] = []
  const start = new Date(Date.UTC(2026, 0, 1, 0, 0) - 1000)
  for (let at = hour.nextRun(start); at && at.getUTCHours() === 0 && at.getUTCDate() === 1; at = hour.nextRun(at)) minutes.push(at.getUTCMinutes())
  return minutes
}

export interface TriggerPlan {
  crons: string[]
  folded: boolean
}

/** The Workers triggers for the registry: one per distinct entry trigger, or one tick when that is more than `maxTriggers`. */
export function planWorkersTriggers(schedules: readonly Schedule[], maxTriggers: number, from?: Date): TriggerPlan {
  const own = [...new Set(schedules.map((s) => ownTrigger(s, from)))]
  if (own.length <= maxTriggers) return { crons: own, folded: false }
  if (maxTriggers < 1) throw new Error(`at most ${maxTriggers} cron triggers: nothing can run`)
  return { crons: [TICK], folded: true }
}

/**
 * The tasks a firing of `firedCron` at `at` runs. The tick runs every entry that occurs at `at` (in
 * its own time zone); an entry's own trigger runs that entry — a UTC entry whenever it fires, as the
 * platform says, a zoned one when `at` is its occurrence.
 */
export function dueOnFiring(schedules: readonly Schedule[], firedCron: string, at: Date, from?: Date): string[] {
  return schedules
    .filter((s) => {
      if (firedCron === TICK) return isOccurrence(cronFor(s), at)
      if (!s.timezone) return firedCron === s.cron || firedCron === ownTrigger(s)
      return firedCron === ownTrigger(s, from) && isOccurrence(cronFor(s), at)
    })
    .map((s) => s.name)
}

/** Whether a fired cron is one the registry writes: the tick, or an entry's own trigger. */
export function isKnownTrigger(schedules: readonly Schedule[], firedCron: string): boolean {
  return firedCron === TICK || schedules.some((s) => s.cron === firedCron || ownTrigger(s) === firedCron)
}

/** Every task that occurs at `at`: what a tick that names no schedule runs. */
export function dueAt(schedules: readonly Schedule[], at: Date): string[] {
  return dueOnFiring(schedules, TICK, at)
}
