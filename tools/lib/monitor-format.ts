/** The monitor's terminal output: a few aligned tables. */
import type { Level, Section, Snapshot } from '../../src/ops/monitor.js'
import type { HealthReport } from '../../src/tasks/health.js'

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const secs = (s: number | null) => (s === null ? '—' : s >= 120 ? `${Math.round(s / 60)} min` : `${s.toFixed(1)} s`)

/** Numbers (and "3.2 s", "7.6 MB") right-aligned, text left-aligned. */
function table(header: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return `  ${header[0]}: none`
  const cells = rows.map((r) => r.map(String))
  const numeric = header.map((_, i) => cells.every((r) => /^[\d.,]+( (s|min|MB))?$|^—$/.test(r[i] ?? '')))
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => '  ' + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...cells.map(line)].join('\n')
}

function unavailable<T>(s: Section<T>, render: (v: T) => string): string {
  return s.available ? render(s.value) : `  unavailable: ${s.reason}`
}

const ago = (iso: string | undefined, now: number) => (iso ? secs((now - Date.parse(iso)) / 1000) + ' ago' : '—')
const until = (iso: string | undefined, now: number) => (iso ? 'in ' + secs((Date.parse(iso) - now) / 1000) : '—')

function formatSchedules(schedules: Section<HealthReport>): string {
  return unavailable(schedules, (r) => {
    const now = Date.parse(r.checkedAt)
    const rows = r.schedules.map((h) => [h.task, `${h.cron}${h.timezone === 'UTC' ? '' : ` ${h.timezone}`}`, h.status.toUpperCase(), h.lastRun ? `${ago(h.lastRun.scheduledAt, now)} (${h.lastRun.status})` : '—', ago(h.lastSuccess, now), until(h.nextExpected, now)])
    const reasons = r.schedules.filter((h) => h.reason && h.status !== 'ok').map((h) => `  ${h.task}: ${h.reason}`)
    return [table(['task', 'cron', 'status', 'last run', 'last success', 'next'], rows), ...reasons].join('\n')
  })
}

export function formatSnapshot(s: Snapshot, level: Level, thresholds: { warn: number; critical: number }, options: { longQueryS: number; idleInTransactionS: number }, schedules?: Section<HealthReport>): string {
  const max = s.maxConnections.available ? s.maxConnections.value : undefined
  const out: string[] = []
  out.push(`lowtide monitor  ${s.takenAt}  level ${level.toUpperCase()}  (warn ≥ ${thresholds.warn}, critical ≥ ${thresholds.critical})`)
  out.push('')
  out.push(unavailable(s.capacity, (c) => `${c.applicationName} holds ${c.held} server connection${c.held === 1 ? '' : 's'}${c.budget === null ? ' (no budget declared: --budget or DB_CONNECTION_BUDGET)' : ` of its budget ${c.budget} (${c.budgetPercent} %${c.budgetPercent! > 100 ? ', OVER' : ''})`}; the server has ${c.serverConnections} of ${c.maxConnections - c.reservedConnections} usable (max_connections ${c.maxConnections}, ${c.reservedConnections} reserved)`))
  out.push('')
  out.push(unavailable(s.connections, (c) => {
    const head = `connections ${c.total}${max ? ` of max_connections ${max} (${Math.round((c.total / max) * 100)} %)` : ''}: ${c.active} active, ${c.idle} idle, ${c.idleInTransaction} idle in transaction${c.hidden ? `, ${c.hidden} hidden (other roles' sessions this role may not inspect)` : ''}`
    return `${head}\n${table(['application', 'database', 'total', 'active', 'idle', 'idle in tx', 'hidden'], c.byApplication.map((g) => [g.applicationName || '(none)', g.database ?? '—', g.total, g.active, g.idle, g.idleInTransaction, g.hidden]))}`
  }))
  out.push('')
  out.push(`queries running over ${options.longQueryS} s`)
  out.push(unavailable(s.longQueries, (rows) => (rows.length ? table(['pid', 'application', 'for', 'query'], rows.map((r) => [r.pid, r.applicationName, secs(r.seconds), (r.query ?? '').replace(/\s+/g, ' ').slice(0, 60)])) : '  none')))
  out.push('')
  out.push(`idle in transaction over ${options.idleInTransactionS} s (leaks)`)
  out.push(unavailable(s.idleInTransaction, (rows) => (rows.length ? table(['pid', 'application', 'for', 'last query'], rows.map((r) => [r.pid, r.applicationName, secs(r.seconds), (r.query ?? '').replace(/\s+/g, ' ').slice(0, 60)])) : '  none')))
  out.push('')
  out.push('waiting locks')
  out.push(unavailable(s.waitingLocks, (rows) => (rows.length ? table(['pid', 'application', 'lock', 'relation', 'blocked by', 'waiting'], rows.map((r) => [r.pid, r.applicationName, r.lockType, r.relation ?? '—', r.blockedBy.join(',') || '—', secs(r.seconds)])) : '  none')))
  out.push('')
  if (schedules) {
    out.push(`schedules (missing or failing: critical; late: warn)`)
    out.push(formatSchedules(schedules))
    out.push('')
  }
  out.push(unavailable(s.databaseSize, (d) => `database ${d.database}: ${mb(d.bytes)}`))
  out.push(unavailable(s.largestTables, (rows) => table(['largest tables', 'size'], rows.map((r) => [r.table, mb(r.bytes)]))))
  return out.join('\n')
}
