import { Cron } from 'croner'
import { assertTimeZone } from './zones.js'

/**
 * Parsed once per registry entry, never started (croner only computes dates here): UTC, or the
 * entry's IANA time zone — croner then walks local time, daylight saving included. A local time
 * skipped by spring-forward occurs at the first instant after the gap; one repeated by fall-back
 * occurs once, at its first instance.
 */
export function cronOf(pattern: string, timezone?: string): Cron {
  // croner takes any string as a zone and misplaces every occurrence of one it does not know.
  if (timezone) assertTimeZone(timezone)
  return new Cron(pattern, { timezone: timezone ?? 'Etc/UTC', paused: true })
}

/** The latest occurrence at or before `at`: what a trigger arriving at `at` stands for. */
export function occurrenceAt(cron: Cron, at: Date): Date {
  const previous = cron.previousRuns(1, new Date(at.getTime() + 1000))[0]
  if (!previous) throw new Error(`no occurrence of ${cron.getPattern()} before ${at.toISOString()}`)
  return previous
}

/**
 * Whether `at` (a minute) is an occurrence: by the cron's sequence of occurrences, not by matching
 * its pattern — on a fall-back night 02:30 matches twice, but occurs once.
 */
export function isOccurrence(cron: Cron, at: Date): boolean {
  return cron.nextRun(new Date(at.getTime() - 1000))?.getTime() === at.getTime()
}

/**
 * The latest occurrences strictly between `after` and `before`, oldest first: at most `limit` + 1
 * (to tell there were more). Walked back from `before`, so that a trigger arriving again for the
 * same occurrence finds nothing left between the last one on record and it.
 */
export function occurrencesBetween(cron: Cron, after: Date, before: Date, limit: number): Date[] {
  return cron
    .previousRuns(limit + 1, before)
    .filter((at) => at.getTime() > after.getTime() && at.getTime() < before.getTime())
    .reverse()
}
