import { Hono } from 'hono'
import { z } from 'zod'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import { adjustCreditsBody } from '../credits/schema.js'
import { adjustCredits } from '../credits/service.js'
import type { DomainDeps } from '../deps.js'
import { listUsers } from './repo.js'
import { adminStats } from './stats.js'

export const adminUserParam = z.object({ id: z.uuid() })

/** `/v1/admin`: admins only, with their own (stricter) per-IP rate limit. */
export function adminRoutes(deps: DomainDeps) {
  return new Hono<AppEnv>()
    .use('*', deps.limits.admin, deps.auth.user, deps.auth.admin)
    .get('/stats', async (c) => c.json(await adminStats(c.get('db'), deps.config.adminStatsTimeoutMs, deps.logger)))
    .get('/users', validate('query', pageQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 1)
      return c.json(toPage(await listUsers(c.get('db'), page.where, page.params, limit), limit))
    })
    .post('/users/:id/credits', validate('param', adminUserParam), validate('json', adjustCreditsBody), async (c) => {
      const body = c.req.valid('json')
      const tx = await adjustCredits(c.get('db'), c.req.valid('param').id, { ...body, reason: body.reason ?? `${body.kind} by ${c.get('user').email}` })
      return c.json(tx, 201)
    })
}
