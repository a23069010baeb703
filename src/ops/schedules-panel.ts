/**
 * The dashboard's Schedules panel: one row per registry entry — status, last run, last success,
 * next expected — with a strip of its recent occurrences drawn as inline SVG (one square each:
 * on time, late, failed, missed, running, pending; hover for the time), and the open incidents.
 */
import { html } from 'hono/html'
import type { HealthReport, OccurrenceState, ScheduleHealth } from '../tasks/health.js'
import type { openIncidents } from '../tasks/incidents.js'

export const stateColors: Record<OccurrenceState, string> = {
  'on-time': '#2f9e44',
  late: '#f59f00',
  failed: '#e03131',
  missed: '#495057',
  running: '#1c7ed6',
  pending: '#ced4da',
}
const statusColors: Record<ScheduleHealth['status'], string> = { ok: '#2f9e44', late: '#f59f00', failing: '#e03131', missing: '#c92a2a' }

const CELL = 12
const GAP = 3

const at = (ts: string | undefined | null) => (ts ? new Date(ts).toISOString().slice(0, 16).replace('T', ' ') : '—')

/** The recent occurrences as squares, oldest on the left. */
export function occurrenceStrip(h: ScheduleHealth) {
  const width = h.recent.length * (CELL + GAP)
  return html`<svg role="img" aria-label="${h.task}: last ${h.recent.length} occurrences" data-testid="chart-${h.task}" width="${Math.max(width, 1)}" height="${CELL}" viewBox="0 0 ${Math.max(width, 1)} ${CELL}">${h.recent.map(
    (o, i) => html`<rect data-state="${o.state}" x="${i * (CELL + GAP)}" y="0" width="${CELL}" height="${CELL}" rx="2" fill="${stateColors[o.state]}"><title>${at(o.at)} UTC: ${o.state}</title></rect>`,
  )}</svg>`
}

const legend = html`<p class="muted legend">${(Object.keys(stateColors) as OccurrenceState[]).map(
  (s) => html`<svg width="${CELL}" height="${CELL}"><rect width="${CELL}" height="${CELL}" rx="2" fill="${stateColors[s]}"/></svg> ${s} `,
)}</p>`

export function schedulesSection(report: HealthReport & { incidents: Awaited<ReturnType<typeof openIncidents>> }) {
  return html`<section class="wide" data-testid="schedules"><h2>Schedules</h2>
    ${report.schedules.length
      ? html`<table data-testid="schedule-rows"><thead><tr><th>task</th><th>cron</th><th>status</th><th>recent occurrences</th><th>last run</th><th>last success</th><th>next expected</th></tr></thead><tbody>
      ${report.schedules.map(
        (h) => html`<tr data-task="${h.task}">
        <td>${h.task}</td><td><code>${h.cron}</code>${h.timezone === 'UTC' ? '' : html` <span class="muted">${h.timezone}</span>`}</td>
        <td><strong data-testid="status-${h.task}" style="color:${statusColors[h.status]}" title="${h.reason ?? ''}">${h.status}</strong>${h.consecutiveFailures ? html` <span class="muted">${h.consecutiveFailures} failed</span>` : ''}</td>
        <td>${occurrenceStrip(h)}</td>
        <td>${h.lastRun ? html`${at(h.lastRun.scheduledAt)} <span class="muted">${h.lastRun.status} · ${h.lastRun.trigger}</span>` : '—'}</td>
        <td>${at(h.lastSuccess)}</td><td>${at(h.nextExpected)}</td></tr>`,
      )}</tbody></table>${legend}`
      : html`<p class="muted">no schedules</p>`}
    <h3>Open incidents</h3>
    ${report.incidents.length
      ? html`<table data-testid="incidents"><thead><tr><th>task</th><th>kind</th><th>since</th><th>opened</th></tr></thead><tbody>${report.incidents.map((i) => html`<tr><td>${i.task}</td><td>${i.kind}</td><td>${at(i.since)}</td><td>${at(i.openedAt)}</td></tr>`)}</tbody></table>`
      : html`<p data-testid="incidents" class="muted">none</p>`}
  </section>`
}
