/**
 * What the outreach backend does when a schedule goes missing or failing (the runtime calls this
 * once per incident, in the transaction that opened it): a `schedule.missed` / `schedule.failing`
 * event to the admins' subscribed webhook endpoints, and an email to each admin — both as outbox
 * rows, so they leave after commit, with retries, whoever noticed.
 */
import type { OutboxHandler } from '../../queue/deliver.js'
import type { ScheduleIncidentHook } from '../../tasks/incidents.js'
import type { EmailTransport } from '../emails/transport.js'
import { emitEvents } from '../webhooks/events.js'

export const ADMIN_EMAIL_KIND = 'admin-email'

export function scheduleAlerts(from: string): ScheduleIncidentHook {
  return async (tx, incident, outbox) => {
    const { rows: admins } = await tx.query<{ id: string; email: string }>(`SELECT id, email FROM users WHERE role = 'admin' ORDER BY created_at`)
    const h = incident.health
    const data = {
      incidentId: incident.id,
      task: incident.task,
      since: incident.since,
      reason: incident.reason,
      cron: h.cron,
      timezone: h.timezone,
      lastRun: h.lastRun ?? null,
      lastSuccess: h.lastSuccess ?? null,
      nextExpected: h.nextExpected ?? null,
    }
    await emitEvents(tx, outbox, admins.map((a) => ({ userId: a.id, type: incident.kind === 'missed' ? ('schedule.missed' as const) : ('schedule.failing' as const), data })))
    const subject = `[lowtide] schedule ${incident.task} is ${incident.kind === 'missed' ? 'missing' : 'failing'}`
    const body = [
      `${incident.task} (${h.cron}${h.timezone === 'UTC' ? '' : ` ${h.timezone}`}) ${incident.kind === 'missed' ? 'has stopped running' : 'keeps failing'} since ${incident.since}.`,
      incident.reason,
      `Last run: ${h.lastRun ? `${h.lastRun.scheduledAt} (${h.lastRun.status}, ${h.lastRun.trigger})` : 'none'}. Last success: ${h.lastSuccess ?? 'none'}.`,
      'See /ops (Schedules) and /readyz/schedules.',
      '',
    ].join('\n')
    for (const admin of admins) await outbox.add(tx, { kind: ADMIN_EMAIL_KIND, userId: admin.id, payload: { to: admin.email, from, subject, body, incidentId: incident.id } })
  }
}

/** The outbox kind `admin-email`: one email, sent by the app's transport. */
export function adminEmailHandler(email: EmailTransport): OutboxHandler {
  return async (row, db) => {
    const p = row.payload as { to: string; from: string; subject: string; body: string }
    await email.send(db, { kind: 'ops', to: p.to, from: p.from, subject: p.subject, body: p.body, userId: row.userId ?? undefined })
  }
}
