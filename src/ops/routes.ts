import { z } from 'zod'
import type { RuntimeConfig } from '../config/runtime.js'
import type { ConnectionSource } from '../db/types.js'
import { openApiApp, route } from '../http/openapi.js'
import { opsAuth } from '../http/ops-auth.js'
import type { PlatformDeps, ScopeEnv } from '../http/types.js'
import type { Logger } from '../logger.js'
import { appConnections } from './connections.js'
import { dashboardRoutes } from './dashboard.js'
import { dashboardData, type DashboardSources } from './dashboard-data.js'

export interface OpsDeps extends Pick<DashboardSources, 'rateLimits' | 'panels'> {
  config: Pick<RuntimeConfig, 'opsToken' | 'opsAllowIps' | 'db' | 'queue'>
  logger: Logger
  connections: ConnectionSource
  clientIp: PlatformDeps['clientIp']
  queueEnabled: boolean
}

const readiness = route({
  method: 'get',
  path: '/readyz',
  tag: 'ops',
  auth: 'ops',
  summary: "Readiness: a database round trip, pool stats, this app's connections",
  responses: {
    200: z.object({ status: z.literal('ok') }).catchall(z.unknown()),
    503: z.object({ status: z.literal('unavailable'), error: z.string() }).catchall(z.unknown()),
  },
})

/** `GET /readyz`: a database round trip, the pool's numbers, this app's server connections and whether the queue is on. `/ops`: the dashboard. */
export function opsRoutes(deps: OpsDeps) {
  const app = openApiApp<ScopeEnv>()
  const sources: DashboardSources = { connections: deps.connections, applicationName: deps.config.db.applicationName, rateLimits: deps.rateLimits, panels: deps.panels }
  app.use('/readyz', opsAuth(deps))
  app.use('/ops/*', opsAuth(deps, 'basic'))
  app.use('/ops', opsAuth(deps, 'basic'))
  app.route('/ops', dashboardRoutes((c) => dashboardData(c.get('db'), sources)))
  app.openapi(readiness, async (c) => {
    const pools = [deps.connections.stats()]
    const reason = deps.config.queue.disabledReason
    const queue = { enabled: deps.queueEnabled, ...(reason ? { reason } : {}) }
    try {
      const connections = await appConnections(c.get('db'), deps.config.db.applicationName)
      return c.json({ status: 'ok' as const, pools, connections, queue }, 200)
    } catch (err) {
      deps.logger.warn('readiness check failed', { error: (err as Error).message })
      return c.json({ status: 'unavailable' as const, error: (err as Error).message, pools }, 503, { 'Retry-After': '1' })
    }
  })
  return app
}
