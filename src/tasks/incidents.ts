/**
 * Schedule incidents: a schedule found `missing` or `failing` opens one, whoever notices first — a
 * `/readyz` probe, the `outbox-sweep` run — and only the insert that opens it raises the app's hook
 * (webhook events, an email to admins), in the same transaction: two noticers at once give one
 * incident and one alert. It is resolved when the schedule is healthy again; a later problem is a
 * new incident.
 */
import type { Db } from '../db/types.js'
import type { Outbox } from '../queue/outbox.js'
import { scheduleHealth, type HealthReport, type HealthSchedule, type ScheduleHealth } from './health.js'

export type IncidentKind = 'missed' | 'failing'

export interface ScheduleIncident {
  id: string
  task: string
  kind: IncidentKind
  /** The first occurrence that did not arrive, or the oldest of the failed run of occurrences. */
  since: string
  openedAt: string
  reason: string
  health: ScheduleHealth
}

/** The app's reaction to a new incident, in the transaction that opened it; side effects go through `outbox`. */
export type ScheduleIncidentHook = (tx: Db, incident: ScheduleIncident, outbox: Outbox) => Promise<void>

export interface WatchResult extends HealthReport {
  opened: ScheduleIncident[]
  resolved: { task: string; kind: IncidentKind }[]
}

export interface ScheduleWatch {
  /** The schedules' health now; opens incidents for the missing and failing ones, resolves recovered ones. `recent`: chart them too. */
  check(db: Db, outbox: Outbox, options?: { recent?: boolean }): Promise<WatchResult>
}

export function createScheduleWatch(schedules: readonly HealthSchedule[], hook?: ScheduleIncidentHook): ScheduleWatch {
  return {
    async check(db, outbox, options = {}) {
      const report = await scheduleHealth(db, schedules, { recent: options.recent ?? false })
      const opened: ScheduleIncident[] = []
      for (const health of report.schedules) {
        if (health.status !== 'missing' && health.status !== 'failing') continue
        const incident = await open(db, health, health.status === 'missing' ? 'missed' : 'failing', outbox, hook)
        if (incident) opened.push(incident)
      }
      const { rows } = await db.query<{ task: string; kind: IncidentKind }>(
        `UPDATE schedule_incidents SET resolved_at = now()
         WHERE resolved_at IS NULL AND ((kind = 'missed' AND task = ANY ($1)) OR (kind = 'failing' AND task = ANY ($2)))
         RETURNING task, kind`,
        [report.schedules.filter((h) => h.status !== 'missing').map((h) => h.task), report.schedules.filter((h) => h.consecutiveFailures < h.failingAfter).map((h) => h.task)],
      )
      return { ...report, opened, resolved: rows }
    },
  }
}

async function open(db: Db, health: ScheduleHealth, kind: IncidentKind, outbox: Outbox, hook?: ScheduleIncidentHook): Promise<ScheduleIncident | undefined> {
  return db.withTransaction(async (tx) => {
    const since = health.since ?? health.lastExpected ?? new Date().toISOString()
    const { rows } = await tx.query<{ id: string; opened_at: string }>(
      `INSERT INTO schedule_incidents (task, kind, since, detail) VALUES ($1, $2, $3, $4)
       ON CONFLICT (task, kind) WHERE resolved_at IS NULL DO NOTHING
       RETURNING id, to_json(opened_at)#>>'{}' AS opened_at`,
      [health.task, kind, since, JSON.stringify({ reason: health.reason, lastRun: health.lastRun ?? null, consecutiveFailures: health.consecutiveFailures })],
    )
    if (!rows[0]) return undefined
    const incident: ScheduleIncident = { id: rows[0].id, task: health.task, kind, since, openedAt: rows[0].opened_at, reason: health.reason ?? kind, health }
    await hook?.(tx, incident, outbox)
    return incident
  })
}

/** The incidents still open, newest first (for `/ops`). */
export async function openIncidents(db: Db): Promise<{ id: string; task: string; kind: IncidentKind; since: string; openedAt: string }[]> {
  const { rows } = await db.query<{ id: string; task: string; kind: IncidentKind; since: string; openedAt: string }>(
    `SELECT id, task, kind, to_json(since)#>>'{}' AS since, to_json(opened_at)#>>'{}' AS "openedAt" FROM schedule_incidents WHERE resolved_at IS NULL ORDER BY opened_at DESC LIMIT 50`,
  )
  return rows
}
