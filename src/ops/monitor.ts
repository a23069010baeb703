/**
 * The connection monitor's view of a Postgres server, shared by `npm run monitor` (and, through
 * `appConnections`, by `/readyz`). It works with an ordinary role, as on Neon or RDS: sessions whose
 * details the role may not see are counted as `hidden`, never as idle, and a section the role
 * cannot read at all is reported unavailable with the reason.
 */
import type { Queryable } from '../db/types.js'
import { serverCapacity, type Capacity } from './capacity.js'
import { scheduleHealth, type HealthReport, type HealthSchedule } from '../tasks/health.js'

export type Section<T> = { available: true; value: T } | { available: false; reason: string }

export interface SessionRow {
  pid: number
  applicationName: string
  database: string | null
  user: string | null
  state: string | null
  seconds: number | null
  query: string | null
}

export interface GroupCounts {
  applicationName: string
  database: string | null
  total: number
  active: number
  idle: number
  idleInTransaction: number
  /** Sessions of other roles whose state this role may not see. */
  hidden: number
}

export interface Snapshot {
  takenAt: string
  maxConnections: Section<number>
  /** This app's server connections against its budget and the server's room. */
  capacity: Section<Capacity>
  connections: Section<{ total: number; active: number; idle: number; idleInTransaction: number; hidden: number; byApplication: GroupCounts[] }>
  longQueries: Section<SessionRow[]>
  idleInTransaction: Section<SessionRow[]>
  waitingLocks: Section<{ pid: number; applicationName: string; lockType: string; relation: string | null; blockedBy: number[]; seconds: number | null }[]>
  databaseSize: Section<{ database: string; bytes: number }>
  largestTables: Section<{ table: string; bytes: number }[]>
}

async function section<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { available: true, value: await read() }
  } catch (err) {
    return { available: false, reason: (err as Error).message }
  }
}

const sessionColumns = `pid, coalesce(application_name, '') AS "applicationName", datname AS database, usename AS user, state,
  extract(epoch FROM now() - coalesce(query_start, state_change))::float8 AS seconds, left(query, 200) AS query`

export async function takeSnapshot(db: Queryable, options: { longQueryS: number; idleInTransactionS: number; applicationName: string; budget?: number }): Promise<Snapshot> {
  const rows = async <T extends object>(sql: string, params: unknown[] = []) => (await db.query<T & Record<string, unknown>>(sql, params)).rows as T[]
  const connections = await section(async () => {
    // Client backends (no autovacuum, walsender, …), except this monitor's own session. An ordinary
    // role sees other roles' sessions with every detail nulled, backend type included: those are
    // grouped as "(hidden)" — they may include a few background processes, which it cannot tell apart.
    const groups = await rows<GroupCounts>(
      `SELECT CASE WHEN backend_type IS NULL THEN '(hidden)' ELSE coalesce(application_name, '') END AS "applicationName",
         datname AS database, count(*)::int AS total,
         count(*) FILTER (WHERE state = 'active')::int AS active, count(*) FILTER (WHERE state = 'idle')::int AS idle,
         count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS "idleInTransaction",
         count(*) FILTER (WHERE state IS NULL)::int AS hidden
       FROM pg_stat_activity WHERE (backend_type = 'client backend' OR backend_type IS NULL) AND pid <> pg_backend_pid()
       GROUP BY 1, 2 ORDER BY 3 DESC, 1`,
    )
    const sum = (k: keyof GroupCounts) => groups.reduce((n, g) => n + (g[k] as number), 0)
    return { total: sum('total'), active: sum('active'), idle: sum('idle'), idleInTransaction: sum('idleInTransaction'), hidden: sum('hidden'), byApplication: groups }
  })
  return {
    takenAt: new Date().toISOString(),
    maxConnections: await section(async () => Number((await rows<{ v: string }>(`SELECT current_setting('max_connections') AS v`))[0]!.v)),
    capacity: await section(() => serverCapacity(db, options.applicationName, options.budget)),
    connections,
    longQueries: await section(() =>
      rows<SessionRow>(
        `SELECT ${sessionColumns} FROM pg_stat_activity
         WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND now() - query_start > make_interval(secs => $1)
         ORDER BY query_start`,
        [options.longQueryS],
      ),
    ),
    idleInTransaction: await section(() =>
      rows<SessionRow>(
        `SELECT pid, coalesce(application_name, '') AS "applicationName", datname AS database, usename AS user, state,
           extract(epoch FROM now() - state_change)::float8 AS seconds, left(query, 200) AS query
         FROM pg_stat_activity
         WHERE state LIKE 'idle in transaction%' AND now() - state_change > make_interval(secs => $1)
         ORDER BY state_change`,
        [options.idleInTransactionS],
      ),
    ),
    waitingLocks: await section(() =>
      rows(
        `SELECT l.pid, coalesce(a.application_name, '') AS "applicationName", l.locktype AS "lockType", l.relation::regclass::text AS relation,
           pg_blocking_pids(l.pid) AS "blockedBy", extract(epoch FROM now() - a.query_start)::float8 AS seconds
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted ORDER BY a.query_start`,
      ),
    ),
    databaseSize: await section(async () => (await rows<{ database: string; bytes: number }>(`SELECT current_database() AS database, pg_database_size(current_database())::float8 AS bytes`))[0]!),
    largestTables: await section(() =>
      rows<{ table: string; bytes: number }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS table, pg_total_relation_size(c.oid)::float8 AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         ORDER BY 2 DESC LIMIT 10`,
      ),
    ),
  }
}

/** Ends this application's sessions idle in a transaction for longer than `olderThanS`; returns what it ended. */
export async function terminateIdleInTransaction(db: Queryable, applicationName: string, olderThanS: number): Promise<SessionRow[]> {
  const { rows } = await db.query<SessionRow & { terminated: boolean }>(
    `SELECT ${sessionColumns}, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
     WHERE application_name = $1 AND state LIKE 'idle in transaction%' AND now() - state_change > make_interval(secs => $2)
       AND pid <> pg_backend_pid()`,
    [applicationName, olderThanS],
  )
  return rows.filter((r) => r.terminated)
}

export type Level = 'ok' | 'warn' | 'critical'

/** By the server's connections (the thresholds), and by the app's budget: over it critical, from 80 % a warning. */
export function levelOf(snapshot: Snapshot, thresholds: { warn: number; critical: number }): Level {
  if (!snapshot.connections.available) return 'critical'
  const total = snapshot.connections.value.total
  const byServer: Level = total >= thresholds.critical ? 'critical' : total >= thresholds.warn ? 'warn' : 'ok'
  const percent = snapshot.capacity.available ? snapshot.capacity.value.budgetPercent : null
  const byBudget: Level = percent === null ? 'ok' : percent > 100 ? 'critical' : percent >= 80 ? 'warn' : 'ok'
  return worstLevel(byServer, byBudget)
}

/** Schedules missing or failing are critical (a stopped cron is an outage of its own); late ones a warning. */
export function scheduleLevel(report: Section<HealthReport>): Level {
  if (!report.available) return 'warn'
  return report.value.status === 'missing' || report.value.status === 'failing' ? 'critical' : report.value.status === 'late' ? 'warn' : 'ok'
}

export const worstLevel = (...levels: Level[]): Level => (levels.includes('critical') ? 'critical' : levels.includes('warn') ? 'warn' : 'ok')

/** The registry's health as the monitor sees it: read-only (no baseline written), as an ordinary role may. */
export async function scheduleSection(db: Queryable, schedules: readonly HealthSchedule[]): Promise<Section<HealthReport>> {
  return section(() => scheduleHealth(db, schedules, { record: false, recent: false }))
}
