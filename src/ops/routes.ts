import { z } from 'zod'
import type { RuntimeConfig } from '../config/runtime.js'
import type { ConnectionSource, Db } from '../db/types.js'
import { openApiApp, route } from '../http/openapi.js'
import { opsAuth } from '../http/ops-auth.js'
import type { PlatformDeps, ScopeEnv } from '../http/types.js'
import type { Logger } from '../logger.js'
import { Outbox } from '../queue/outbox.js'
import type { QueuePublisher } from '../queue/publisher.js'
import type { ScheduleWatch, WatchResult } from '../tasks/incidents.js'
import { appConnections } from './connections.js'
import { serverCapacity } from './capacity.js'
import { dashboardRoutes } from './dashboard.js'
import { dashboardData, type DashboardSources } from './dashboard-data.js'

export interface OpsDeps extends Pick<DashboardSources, 'rateLimits' | 'panels'> {
  config: Pick<RuntimeConfig, 'opsToken' | 'opsAllowIps' | 'db' | 'queue'>
  logger: Logger
  connections: ConnectionSource
  clientIp: PlatformDeps['clientIp']
  publisher: QueuePublisher
  /** Delivers one outbox row here and now (an incident's alerts, when no queue is configured). */
  deliver(db: Db, id: string, outbox: Outbox): Promise<unknown>
  schedules: ScheduleWatch
}

const readiness = route({
  method: 'get',
  path: '/readyz',
  tag: 'ops',
  auth: 'ops',
  summary: "Readiness: a database round trip, pool stats, this app's connections and the server's capacity, schedules missing or failing",
  description:
    '200 while the app can serve — `status` is `degraded` when a schedule is missing or failing (listed in `schedules.problems`); 503 only when the database is unreachable. For an uptime check that reads only the HTTP status, poll `/readyz/schedules`.',
  responses: {
    200: z.object({ status: z.enum(['ok', 'degraded']) }).catchall(z.unknown()),
    503: z.object({ status: z.literal('unavailable'), error: z.string() }).catchall(z.unknown()),
  },
})

const scheduleReadiness = route({
  method: 'get',
  path: '/readyz/schedules',
  tag: 'ops',
  auth: 'ops',
  summary: 'Every schedule\'s health: 200 when none is missing or failing, 503 when one is (for uptime checks)',
  responses: {
    200: z.object({ status: z.enum(['ok', 'late']) }).catchall(z.unknown()),
    503: z.object({ status: z.enum(['missing', 'failing', 'unavailable']) }).catchall(z.unknown()),
  },
})

/**
 * `GET /readyz`: a database round trip, the pool's numbers, this app's server connections, whether
 * the queue is on, and the schedules that are missing or failing. `/readyz/schedules`: all of them,
 * with the status an uptime check reads. `/ops`: the dashboard. Each of them checks the schedules'
 * health, and opens an incident (alerts once) for a problem nobody noticed before.
 */
/** How long `/readyz` reuses the schedules' health it computed. */
export const READYZ_SCHEDULES_TTL_MS = 5000

export function opsRoutes(deps: OpsDeps) {
  const app = openApiApp<ScopeEnv>()
  // Readiness probes come every few seconds from each load balancer node, and in bursts: the
  // schedules' health they report is computed at most once per READYZ_SCHEDULES_TTL_MS per process
  // (concurrent probes share one check). The database round trip of /readyz itself is never reused.
  let lastCheck: { at: number; result: Promise<WatchResult> } | undefined
  const watch = (db: Db, recent = false): Promise<WatchResult> => {
    if (recent) return checkSchedules(db, deps, true)
    const now = Date.now()
    if (lastCheck && now - lastCheck.at < READYZ_SCHEDULES_TTL_MS) return lastCheck.result
    const check = { at: now, result: checkSchedules(db, deps, false) }
    check.result.catch(() => {
      if (lastCheck === check) lastCheck = undefined
    })
    lastCheck = check
    return check.result
  }
  const sources: DashboardSources = { connections: deps.connections, applicationName: deps.config.db.applicationName, connectionBudget: deps.config.db.connectionBudget, rateLimits: deps.rateLimits, panels: deps.panels, schedules: (db) => watch(db, true), transport: deps.publisher.transport }
  app.use('/readyz', opsAuth(deps))
  app.use('/readyz/*', opsAuth(deps))
  app.use('/ops/*', opsAuth(deps, 'basic'))
  app.use('/ops', opsAuth(deps, 'basic'))
  app.route('/ops', dashboardRoutes((c) => dashboardData(c.get('db'), sources)))
  app.openapi(readiness, async (c) => {
    const pools = [deps.connections.stats()]
    const reason = deps.config.queue.disabledReason
    const queue = { enabled: deps.publisher.enabled, transport: deps.publisher.transport, ...(reason ? { reason } : {}) }
    let connections
    let capacity
    try {
      connections = await appConnections(c.get('db'), deps.config.db.applicationName)
      capacity = await serverCapacity(c.get('db'), deps.config.db.applicationName, deps.config.db.connectionBudget)
    } catch (err) {
      deps.logger.warn('readiness check failed', { error: (err as Error).message })
      return c.json({ status: 'unavailable' as const, error: (err as Error).message, pools }, 503, { 'Retry-After': '1' })
    }
    const schedules = await watch(c.get('db')).then(
      (r) => ({ status: r.status, checkedAt: r.checkedAt, problems: r.schedules.filter((h) => h.status === 'missing' || h.status === 'failing').map(({ task, status, reason, since }) => ({ task, status, reason, since })) }),
      (err: Error) => ({ status: 'unknown' as const, error: err.message, problems: [] }),
    )
    return c.json({ status: schedules.problems.length ? ('degraded' as const) : ('ok' as const), pools, connections, capacity, queue, schedules }, 200)
  })
  app.openapi(scheduleReadiness, async (c) => {
    try {
      const { opened, resolved, ...report } = await watch(c.get('db'), true)
      const problem = report.status === 'missing' || report.status === 'failing'
      return problem ? c.json({ ...report, status: report.status as 'missing' | 'failing' }, 503) : c.json({ ...report, status: report.status as 'ok' | 'late' }, 200)
    } catch (err) {
      return c.json({ status: 'unavailable' as const, error: (err as Error).message }, 503, { 'Retry-After': '1' })
    }
  })
  return app
}

/**
 * The schedules' health, incidents opened for new problems; their alerts (outbox rows the app's hook
 * wrote) leave now — published, or, with no queue, delivered here: the sweep that would otherwise
 * deliver them may be what stopped.
 */
async function checkSchedules(db: Db, deps: OpsDeps, recent: boolean): Promise<WatchResult> {
  const outbox = new Outbox(deps.config.queue.maxAttempts)
  const result = await deps.schedules.check(db, outbox, { recent })
  const pending = outbox.take()
  if (pending.length === 0) return result
  if (deps.publisher.enabled) await deps.publisher.publish(pending)
  else for (const message of pending) await deps.deliver(db, message.id, new Outbox(deps.config.queue.maxAttempts))
  return result
}
