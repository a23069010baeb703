import { z } from 'zod'
import { pageOf } from '../../http/docs-shapes.js'
import { openApiApp, route } from '../../http/openapi.js'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import { accountUser } from '../accounts/schema.js'
import { adjustCreditsBody, creditTransaction } from '../credits/schema.js'
import { adjustCredits } from '../credits/service.js'
import type { DomainDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { listUsers } from './repo.js'
import { adminStats } from './stats.js'

export const adminUserParam = z.object({ id: z.uuid() })

const stats = z
  .object({
    generatedAt: z.string(),
    degraded: z.boolean().describe('true when a probe failed or timed out; its figure is null'),
    failures: z.array(z.object({ probe: z.string(), error: z.string() })),
  })
  .catchall(z.unknown())

const tag = 'admin'

/** `/v1/admin`: admins only, with their own (stricter) per-IP rate limit. */
export function adminRoutes(deps: DomainDeps) {
  const app = openApiApp<AppEnv>()
  app.use('*', deps.limits.admin, deps.auth.user, deps.auth.admin)
  app.openapi(route({ method: 'get', path: '/stats', tag, auth: 'admin', summary: 'Users, campaigns, emails per day (≤ 365 days), backlogs', responses: { 200: stats } }), async (c) =>
    c.json(await adminStats(c.get('db'), deps.config.adminStatsTimeoutMs, deps.logger), 200),
  )
  app.openapi(
    route({ method: 'get', path: '/users', tag, auth: 'admin', summary: 'All users with their balances', query: pageQuery, responses: { 200: pageOf(accountUser.extend({ creditBalance: z.number().int() })) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 1)
      return c.json(toPage(await listUsers(c.get('db'), page.where, page.params, limit), limit), 200)
    },
  )
  app.openapi(
    route({ method: 'post', path: '/users/{id}/credits', tag, auth: 'admin', summary: 'Grant or refund credits to a user', params: adminUserParam, body: adjustCreditsBody, responses: { 201: creditTransaction } }),
    async (c) => {
      const body = c.req.valid('json')
      const tx = await adjustCredits(c.get('db'), c.req.valid('param').id, { ...body, reason: body.reason ?? `${body.kind} by ${c.get('user').email}` })
      return c.json(tx, 201)
    },
  )
  return app
}
