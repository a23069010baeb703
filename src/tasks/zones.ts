/**
 * What a time zone does to UTC, from the platform's own tz database (Intl): the offsets it takes and
 * the instants it changes between them. Enough to write UTC triggers for a zoned schedule without
 * walking a year of its occurrences (which a Worker, with milliseconds of CPU per firing, cannot afford).
 */
const formats = new Map<string, Intl.DateTimeFormat>()

/** Throws a RangeError naming the zone when the tz database does not know it. */
export function assertTimeZone(zone: string): void {
  try {
    formatFor(zone)
  } catch {
    throw new RangeError(`unknown time zone "${zone}" (an IANA name, such as Europe/Berlin)`)
  }
}

function formatFor(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    formats.set(zone, format)
  }
  return format
}

/** Minutes east of UTC in `zone` at `at` ("GMT+05:30" → 330). */
export function offsetAt(zone: string, at: Date): number {
  const name = formatFor(zone).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name)
  if (!match) return 0
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0))
}

export interface ZoneChanges {
  /** Every offset the zone takes in the window, in minutes east of UTC. */
  offsets: number[]
  /** The instants (to the minute) its offset changes. */
  transitions: Date[]
}

/** Zones change offset at most about twice a year, never twice in a week (Morocco's Ramadan change is a month long). */
const STEP_MS = 7 * 86_400_000

/** The zone's offsets and transitions over `days` days from `from` (sampled weekly, each change found to the minute). */
export function zoneChanges(zone: string, from: Date, days: number): ZoneChanges {
  const offsets = new Set<number>()
  const transitions: Date[] = []
  let before = new Date(Math.floor(from.getTime() / 60_000) * 60_000)
  let offset = offsetAt(zone, before)
  offsets.add(offset)
  const until = from.getTime() + days * 86_400_000
  while (before.getTime() < until) {
    const after = new Date(before.getTime() + STEP_MS)
    const next = offsetAt(zone, after)
    if (next !== offset) {
      transitions.push(changeBetween(zone, before, after, offset))
      offsets.add(next)
      offset = next
    }
    before = after
  }
  return { offsets: [...offsets], transitions }
}

/** Bisects [lo, hi) to the first minute whose offset is not `offset`. */
function changeBetween(zone: string, lo: Date, hi: Date, offset: number): Date {
  let a = lo.getTime()
  let b = hi.getTime()
  while (b - a > 60_000) {
    const mid = a + Math.floor((b - a) / 120_000) * 60_000
    if (offsetAt(zone, new Date(mid)) === offset) a = mid
    else b = mid
  }
  return new Date(b)
}
