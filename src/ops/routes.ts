import { Hono } from 'hono'
import { opsAuth } from '../http/ops-auth.js'
import type { AppDeps, AppEnv } from '../http/types.js'
import { appConnections } from './connections.js'
import { dashboardRoutes } from './dashboard.js'
import { dashboardData } from './dashboard-data.js'

/** `GET /readyz`: a database round trip, the pool's numbers, this app's server connections and whether the queue is on. */
export function opsRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>()
  app.use('/readyz', opsAuth(deps))
  app.use('/ops/*', opsAuth(deps, 'basic'))
  app.use('/ops', opsAuth(deps, 'basic'))
  app.route('/ops', dashboardRoutes((c) => dashboardData(c.get('db'), deps.connections, deps.config)))
  app.get('/readyz', async (c) => {
    const pools = [deps.connections.stats()]
    const reason = deps.config.queue.disabledReason
    const queue = { enabled: deps.publisher?.enabled ?? false, ...(reason ? { reason } : {}) }
    try {
      const connections = await appConnections(c.get('db'), deps.config.db.applicationName)
      return c.json({ status: 'ok', pools, connections, queue })
    } catch (err) {
      deps.logger.warn('readiness check failed', { error: (err as Error).message })
      return c.json({ status: 'unavailable', error: (err as Error).message, pools }, 503, { 'Retry-After': '1' })
    }
  })
  return app
}
