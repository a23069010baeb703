/**
 * Schedule health, from the registry and the ledger alone: a cron that stopped cannot report its own
 * absence, but the ledger knows which occurrences should be there by now. Per schedule:
 * - `missing`: an occurrence older than the grace (10 min by default) has no ledger row, nor any
 *   later one — nothing has triggered the task since;
 * - `failing`: its newest `failingAfter` (3) occurrences on record failed (skipped ones aside);
 * - `late`: the occurrence of a minute ago has no row yet, within the grace;
 * - `ok` otherwise.
 * Occurrences before this deployment first looked at the schedule (its baseline) are not expected.
 */
import type { Queryable } from '../db/types.js'
import { occurrenceAt } from './occurrences.js'
import { cronFor, type Schedule } from './triggers.js'

export interface ScheduleHealthOptions {
  /** An occurrence with no ledger row this long after its time is missed: the schedule is `missing`. @default 600 */
  graceSeconds?: number
  /** This many failed occurrences in a row (newest first, skipped ones aside) make it `failing`. @default 3 */
  failingAfter?: number
}

export type ScheduleStatus = 'ok' | 'late' | 'missing' | 'failing'
/** What became of one expected occurrence, for the chart. */
export type OccurrenceState = 'on-time' | 'late' | 'failed' | 'missed' | 'running' | 'pending'

export interface HealthSchedule extends Schedule {
  health?: ScheduleHealthOptions
}

export interface ScheduleHealth {
  task: string
  cron: string
  timezone: string
  status: ScheduleStatus
  /** Why, in a sentence, when not `ok`. */
  reason?: string
  /** The missing or failing problem started here (an occurrence time). */
  since?: string
  lastRun?: { scheduledAt: string; status: string; trigger: string; startedAt: string; finishedAt: string | null; error: string | null }
  lastSuccess?: string
  /** The latest occurrence due by now. */
  lastExpected?: string
  nextExpected?: string
  consecutiveFailures: number
  graceSeconds: number
  failingAfter: number
  /** The newest occurrences (at most `RECENT`), oldest first; empty when not asked for. */
  recent: { at: string; state: OccurrenceState }[]
}

export interface HealthReport {
  checkedAt: string
  /** The worst of the schedules' statuses (`failing` and `missing` are both problems). */
  status: ScheduleStatus
  schedules: ScheduleHealth[]
}

export const DEFAULT_GRACE_S = 600
export const DEFAULT_FAILING_AFTER = 3
/** Started this long after its time, a run was late (a Workers cron fires within seconds; a catch-up much later). */
export const LATE_AFTER_S = 60
/** Occurrences charted per schedule. */
export const RECENT = 24

interface LedgerRow {
  scheduled_at: string
  status: string
  trigger: string
  started_at: string
  finished_at: string | null
  error: string | null
}

/**
 * Health of each schedule at `now`. `record` (default true) writes the schedules' baselines the
 * first time it sees them; a read-only caller (the monitor) passes false and takes `now` instead.
 * `recent` (default true) charts the newest occurrences: walking a cron backwards costs a few
 * milliseconds of CPU per schedule, which `/readyz` does not spend.
 */
export async function scheduleHealth(db: Queryable, schedules: readonly HealthSchedule[], options: { now?: Date; record?: boolean; recent?: boolean } = {}): Promise<HealthReport> {
  const now = options.now ?? new Date()
  const names = schedules.map((s) => s.name)
  const limit = Math.max(RECENT, ...schedules.map((s) => s.health?.failingAfter ?? DEFAULT_FAILING_AFTER)) + 8
  const { rows } = await db.query<{ task: string; first_seen: string | null; runs: LedgerRow[] | null; last_success: string | null }>(
    `WITH t AS (SELECT unnest($1::text[]) AS task),
     -- Written once per schedule: a read that inserts nothing takes no transaction id and flushes nothing.
     b AS (INSERT INTO schedule_baselines (task, first_seen_at) SELECT task, $4 FROM t WHERE $3 AND NOT EXISTS (SELECT 1 FROM schedule_baselines x WHERE x.task = t.task)
           ON CONFLICT DO NOTHING RETURNING task, first_seen_at)
     SELECT t.task, to_json(coalesce(s.first_seen_at, b.first_seen_at))#>>'{}' AS first_seen, r.runs, to_json(ls.at)#>>'{}' AS last_success
     FROM t
     LEFT JOIN b USING (task)
     LEFT JOIN schedule_baselines s USING (task)
     LEFT JOIN LATERAL (
       SELECT json_agg(x ORDER BY x.scheduled_at DESC) AS runs FROM (
         SELECT to_json(scheduled_at)#>>'{}' AS scheduled_at, status, trigger, to_json(started_at)#>>'{}' AS started_at,
                to_json(finished_at)#>>'{}' AS finished_at, left(error, 300) AS error
         FROM task_runs WHERE task = t.task ORDER BY task_runs.scheduled_at DESC LIMIT $2) x
     ) r ON true
     LEFT JOIN LATERAL (SELECT max(scheduled_at) AS at FROM task_runs WHERE task = t.task AND status = 'succeeded') ls ON true`,
    [names, limit, options.record ?? true, now],
  )
  const byTask = new Map(rows.map((r) => [r.task, r]))
  const iso = <T extends string | null | undefined>(ts: T) => (ts ? new Date(ts).toISOString() : ts)
  const report = schedules.map((s) => {
    const row = byTask.get(s.name)
    const runs = (row?.runs ?? []).map((r) => ({ ...r, scheduled_at: iso(r.scheduled_at), started_at: iso(r.started_at), finished_at: iso(r.finished_at) }))
    return healthOf(s, runs, row?.first_seen ? new Date(row.first_seen) : now, iso(row?.last_success) ?? undefined, now, options.recent ?? true)
  })
  return { checkedAt: now.toISOString(), status: worst(report.map((h) => h.status)), schedules: report }
}

const severity: Record<ScheduleStatus, number> = { ok: 0, late: 1, failing: 2, missing: 3 }
const worst = (statuses: ScheduleStatus[]): ScheduleStatus => statuses.reduce<ScheduleStatus>((w, s) => (severity[s] > severity[w] ? s : w), 'ok')

/** The latest occurrence at or before `at`, or undefined when there is none (a cron that never occurred yet). */
function latestAtOrBefore(cron: ReturnType<typeof cronFor>, at: Date): Date | undefined {
  try {
    return occurrenceAt(cron, at)
  } catch {
    return undefined
  }
}

function healthOf(s: HealthSchedule, runs: LedgerRow[], baseline: Date, lastSuccess: string | undefined, now: Date, charted: boolean): ScheduleHealth {
  const cron = cronFor(s)
  const graceSeconds = s.health?.graceSeconds ?? DEFAULT_GRACE_S
  const failingAfter = s.health?.failingAfter ?? DEFAULT_FAILING_AFTER
  const iso = (d: Date | undefined) => d?.toISOString()
  const newest = runs[0]
  // The newest thing the ledger (or the baseline) vouches for: occurrences up to here are accounted for.
  const accountedUntil = new Date(Math.max(baseline.getTime(), newest ? Date.parse(newest.scheduled_at) : 0))
  const lastExpected = latestAtOrBefore(cron, now)
  const missedSince = latestAtOrBefore(cron, new Date(now.getTime() - graceSeconds * 1000))
  const lateSince = latestAtOrBefore(cron, new Date(now.getTime() - LATE_AFTER_S * 1000))

  let consecutiveFailures = 0
  let failingSince: string | undefined
  for (const run of runs) {
    if (run.status === 'skipped' || run.status === 'running') continue
    if (run.status !== 'failed') break
    consecutiveFailures++
    failingSince = run.scheduled_at
  }

  const base = {
    task: s.name,
    cron: s.cron,
    timezone: s.timezone ?? 'UTC',
    lastRun: newest && { scheduledAt: newest.scheduled_at, status: newest.status, trigger: newest.trigger, startedAt: newest.started_at, finishedAt: newest.finished_at, error: newest.error },
    lastSuccess,
    lastExpected: iso(lastExpected),
    nextExpected: iso(cron.nextRun(now) ?? undefined),
    consecutiveFailures,
    graceSeconds,
    failingAfter,
    recent: charted ? recentOccurrences(cron, runs, baseline, now, graceSeconds) : [],
  }
  if (missedSince && missedSince > accountedUntil) {
    const since = cron.nextRun(accountedUntil) ?? missedSince
    return { ...base, status: 'missing', since: since.toISOString(), reason: `no run recorded for the occurrence of ${missedSince.toISOString()} (${graceSeconds} s grace) nor since ${since.toISOString()}: nothing triggers it` }
  }
  if (consecutiveFailures >= failingAfter) {
    return { ...base, status: 'failing', since: failingSince, reason: `its last ${consecutiveFailures} occurrences failed${newest?.error ? `: ${newest.error}` : ''}` }
  }
  if (lateSince && lateSince > accountedUntil) return { ...base, status: 'late', reason: `the occurrence of ${lateSince.toISOString()} has not run yet` }
  return { ...base, status: 'ok' }
}

/** The newest expected occurrences (after the baseline), each with what became of it, oldest first. */
function recentOccurrences(cron: ReturnType<typeof cronFor>, runs: LedgerRow[], baseline: Date, now: Date, graceSeconds: number) {
  const byTime = new Map(runs.map((r) => [Date.parse(r.scheduled_at), r]))
  return cron
    .previousRuns(RECENT, new Date(now.getTime() + 1000))
    .filter((at) => at >= baseline || byTime.has(at.getTime()))
    .reverse()
    .map((at) => {
      const run = byTime.get(at.getTime())
      const age = (now.getTime() - at.getTime()) / 1000
      let state: OccurrenceState
      if (!run) state = age > graceSeconds ? 'missed' : 'pending'
      else if (run.status === 'skipped') state = 'missed'
      else if (run.status === 'failed') state = 'failed'
      else if (run.status === 'running') state = 'running'
      else state = (Date.parse(run.started_at) - at.getTime()) / 1000 > LATE_AFTER_S || run.trigger === 'catch-up' ? 'late' : 'on-time'
      return { at: at.toISOString(), state }
    })
}
