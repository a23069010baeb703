import { Cron } from 'croner'

/** Parsed once per registry entry; UTC, never started (croner only computes dates here). */
export function cronOf(pattern: string): Cron {
  return new Cron(pattern, { timezone: 'Etc/UTC', paused: true })
}

/** The latest occurrence at or before `at`: what a trigger arriving at `at` stands for. */
export function occurrenceAt(cron: Cron, at: Date): Date {
  const previous = cron.previousRuns(1, new Date(at.getTime() + 1000))[0]
  if (!previous) throw new Error(`no occurrence of ${cron.getPattern()} before ${at.toISOString()}`)
  return previous
}

/** Occurrences strictly between `after` and `before`, oldest first; at most `limit` + 1 (to tell there were more). */
export function occurrencesBetween(cron: Cron, after: Date, before: Date, limit: number): Date[] {
  const found: Date[] = []
  let cursor: Date | null = after
  while (found.length <= limit) {
    cursor = cron.nextRun(cursor)
    if (!cursor || cursor.getTime() >= before.getTime()) break
    found.push(cursor)
  }
  return found
}
