/** What the ops dashboard shows: the same numbers `/readyz` and the monitor read, plus the ledgers. */
import type { RateLimitRule } from '../config/runtime.js'
import type { ConnectionSource, Db, PoolStats } from '../db/types.js'
import type { QueueTransport } from '../queue/publisher.js'
import { serverCapacity, type Capacity } from './capacity.js'
import { appConnections, type ConnectionCounts } from './connections.js'
import type { HealthReport } from '../tasks/health.js'
import { openIncidents, type WatchResult } from '../tasks/incidents.js'

type Part<T> = { ok: true; value: T } | { ok: false; error: string }

type Cell = string | number | null

/** A section the app adds to the dashboard from its own tables (e.g. disabled webhook endpoints): a count and recent rows. */
export interface DashboardPanel {
  /** Its key in `/ops/data.json`; the count's test id is `<id>-<countLabel>`. */
  id: string
  title: string
  /** What the count counts, e.g. `disabled`. */
  countLabel: string
  columns: string[]
  load(db: Db): Promise<{ count: number; rows: Cell[][] }>
}

export interface DashboardSources {
  connections: ConnectionSource
  applicationName: string
  /** DB_CONNECTION_BUDGET, when declared. */
  connectionBudget?: number
  /** The rate limits in force, by name: rejections are counted against their current windows. */
  rateLimits: Record<string, RateLimitRule | undefined>
  panels?: readonly DashboardPanel[]
  /** The schedules' health (opening incidents for new problems, as /readyz does). */
  schedules?: (db: Db) => Promise<WatchResult>
  /** How outbox ids leave (`sqs`, `cloudflare-queues`, `none`: the sweep delivers). */
  transport?: QueueTransport
}

export interface DashboardData {
  generatedAt: string
  pools: PoolStats[]
  connections: Part<ConnectionCounts>
  capacity: Part<Capacity>
  taskRuns: Part<{ task: string; scheduledAt: string; status: string; trigger: string; durationMs: number | null; processed: number; more: boolean; error: string | null }[]>
  outbox: Part<{ transport: QueueTransport; pending: number; processing: number; dead: number; oldestPendingS: number | null; deadLetters: { id: string; kind: string; attempts: number; lastError: string | null; createdAt: string }[] }>
  rateLimitRejections: Part<{ limit: string; rejected: number }[]>
  panels: { panel: DashboardPanel; data: Part<{ count: number; rows: Cell[][] }> }[]
  schedules: Part<HealthReport & { incidents: Awaited<ReturnType<typeof openIncidents>> }>
}

async function part<T>(read: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await read() }
  } catch (err) {
    return { ok: false, error: (err as Error).message }
  }
}

export async function dashboardData(db: Db, sources: DashboardSources): Promise<DashboardData> {
  // Taken before any query of this request, like /readyz: the pool as the app left it.
  const pools = [sources.connections.stats()]
  const limits = Object.entries(sources.rateLimits).filter((e): e is [string, RateLimitRule] => e[1] !== undefined)
  return {
    generatedAt: new Date().toISOString(),
    pools,
    connections: await part(() => appConnections(db, sources.applicationName)),
    capacity: await part(() => serverCapacity(db, sources.applicationName, sources.connectionBudget)),
    taskRuns: await part(async () => (await db.query(
      `SELECT task, to_json(scheduled_at)#>>'{}' AS "scheduledAt", status, trigger,
         round(extract(epoch FROM finished_at - started_at) * 1000)::int AS "durationMs", processed, more, error
       FROM task_runs WHERE status <> 'skipped' ORDER BY started_at DESC LIMIT 20`,
    )).rows as never),
    outbox: await part(async () => {
      const counts = (await db.query<{ pending: number; processing: number; dead: number; oldestPendingS: number | null }>(
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'processing')::int AS processing,
           count(*) FILTER (WHERE status = 'dead')::int AS dead,
           round(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')))::int AS "oldestPendingS"
         FROM outbox WHERE status <> 'done'`,
      )).rows[0]!
      const deadLetters = (await db.query(
        `SELECT id, kind, attempts, last_error AS "lastError", to_json(created_at)#>>'{}' AS "createdAt" FROM outbox WHERE status = 'dead' ORDER BY created_at DESC LIMIT 10`,
      )).rows as never
      return { transport: sources.transport ?? 'none', ...counts, deadLetters }
    }),
    rateLimitRejections: await part(async () => (await db.query<{ limit: string; rejected: number }>(
      // Requests over each limit in its current windows, across every instance (the counters are shared).
      `SELECT n.name AS limit, coalesce(sum(greatest(r.hits - n.max, 0)), 0)::int AS rejected
       FROM unnest($1::text[], $2::int[], $3::int[]) AS n(name, max, window_s)
       LEFT JOIN rate_limits r ON split_part(r.key, ':', 1) = n.name AND r.window_start > now() - make_interval(secs => n.window_s)
       GROUP BY n.name ORDER BY n.name`,
      [limits.map(([n]) => n), limits.map(([, r]) => r.max), limits.map(([, r]) => r.windowS)],
    )).rows),
    schedules: await part(async () => {
      const { opened, resolved, ...report } = await (sources.schedules ?? (async () => ({ checkedAt: new Date().toISOString(), status: 'ok' as const, schedules: [], opened: [], resolved: [] })))(db)
      return { ...report, incidents: await openIncidents(db) }
    }),
    panels: await Promise.all((sources.panels ?? []).map(async (panel) => ({ panel, data: await part(() => panel.load(db)) }))),
  }
}
