import { z } from 'zod'
import { pageOf } from '../../http/docs-shapes.js'
import { describe, type Registry } from '../../http/openapi.js'
import { pageQuery } from '../../http/pagination.js'
import { accountUser } from '../accounts/schema.js'
import { adjustCreditsBody, creditTransaction } from '../credits/schema.js'
import { adminUserParam } from './routes.js'

const stats = z
  .object({
    generatedAt: z.string(),
    degraded: z.boolean().describe('true when a probe failed or timed out; its figure is null'),
    failures: z.array(z.object({ probe: z.string(), error: z.string() })),
  })
  .catchall(z.unknown())

export function adminDocs(r: Registry) {
  const tag = 'admin'
  describe(r, { method: 'get', path: '/v1/admin/stats', tag, auth: 'admin', summary: 'Users, campaigns, emails per day (≤ 365 days), backlogs', responses: { 200: stats } })
  describe(r, {
    method: 'get', path: '/v1/admin/users', tag, auth: 'admin', summary: 'All users with their balances',
    query: pageQuery, responses: { 200: pageOf(accountUser.extend({ creditBalance: z.number().int() })) },
  })
  describe(r, {
    method: 'post', path: '/v1/admin/users/:id/credits', tag, auth: 'admin', summary: 'Grant or refund credits to a user',
    params: adminUserParam, body: adjustCreditsBody, responses: { 201: creditTransaction },
  })
}
