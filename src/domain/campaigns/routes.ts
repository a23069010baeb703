import type { ConnectionSource } from '../../db/types.js'
import { pageOf } from '../../http/docs-shapes.js'
import { openApiApp, route } from '../../http/openapi.js'
import { decodeCursor, keyset, toPage } from '../../http/pagination.js'
import type { DomainDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import type { StreamConfig } from './config.js'
import { campaignEvents } from './events-stream.js'
import { listCampaigns } from './repo.js'
import { campaign, campaignIdParam, campaignListQuery, createCampaignBody, updateCampaignBody } from './schema.js'
import { changeStatus, createCampaign, deleteCampaign, getCampaign, updateCampaign } from './service.js'
import type { CampaignAction } from './state.js'

const tag = 'campaigns'

const actionSummaries: Record<CampaignAction, string> = {
  start: 'Start a draft: one scheduled email per targeted contact for step 1 (rate limited per user)',
  pause: 'Pause a running campaign; pending emails wait',
  resume: 'Resume a paused campaign',
  cancel: 'Cancel a campaign; pending emails are cancelled',
}

/** `/v1/campaigns`: drafts, their lifecycle, their progress as a stream. */
export function campaignRoutes(deps: Pick<DomainDeps, 'limits' | 'auth'> & { connections: ConnectionSource; streams: StreamConfig }) {
  const app = openApiApp<AppEnv>()
  app.use('*', deps.auth.user)
  app.openapi(
    route({ method: 'post', path: '/', tag, auth: 'user', summary: 'Create a draft campaign (rate limited per user)', middleware: [deps.limits.campaignCreate], body: createCampaignBody, responses: { 201: campaign } }),
    async (c) => {
      const created = await createCampaign(c.get('db'), c.get('user').id, c.req.valid('json'))
      return c.json(created, 201, { Location: `/v1/campaigns/${created.id}` })
    },
  )
  app.openapi(route({ method: 'get', path: '/', tag, auth: 'user', summary: 'List campaigns, newest first', query: campaignListQuery, responses: { 200: pageOf(campaign) } }), async (c) => {
    const { limit, cursor, status } = c.req.valid('query')
    const page = keyset(decodeCursor(cursor), 3, { alias: 'c' })
    return c.json(toPage(await listCampaigns(c.get('db'), c.get('user').id, status, page.where, page.params, limit), limit), 200)
  })
  app.openapi(
    route({
      method: 'get',
      path: '/{id}/events',
      tag,
      auth: 'user',
      summary: 'Campaign progress as Server-Sent Events (progress, end, gone, reconnect); holds no database connection between updates',
      params: campaignIdParam,
      responses: { 200: { mediaType: 'text/event-stream', description: 'Server-Sent Events' } },
    }),
    campaignEvents(deps),
  )
  app.openapi(route({ method: 'get', path: '/{id}', tag, auth: 'user', summary: 'A campaign with its steps and email stats', params: campaignIdParam, responses: { 200: campaign } }), async (c) =>
    c.json(await getCampaign(c.get('db'), c.get('user').id, c.req.valid('param').id), 200),
  )
  app.openapi(
    route({ method: 'patch', path: '/{id}', tag, auth: 'user', summary: 'Edit a draft', params: campaignIdParam, body: updateCampaignBody, responses: { 200: campaign }, errors: { 409: 'Not a draft' } }),
    async (c) => c.json(await updateCampaign(c.get('db'), c.get('user').id, c.req.valid('param').id, c.req.valid('json')), 200),
  )
  app.openapi(
    route({
      method: 'delete',
      path: '/{id}',
      tag,
      auth: 'user',
      summary: 'Delete a draft, completed or cancelled campaign',
      params: campaignIdParam,
      responses: { 204: 'Deleted' },
      errors: { 409: 'Running or paused: cancel it first' },
    }),
    async (c) => {
      await deleteCampaign(c.get('db'), c.get('user').id, c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  for (const action of Object.keys(actionSummaries) as CampaignAction[]) {
    app.openapi(
      route({
        method: 'post',
        path: `/{id}/${action}`,
        tag,
        auth: 'user',
        summary: actionSummaries[action],
        middleware: action === 'start' ? [deps.limits.campaignStart] : undefined,
        params: campaignIdParam,
        responses: { 200: campaign },
        errors: action === 'start' ? { 409: 'Illegal move from the current status', 403: 'Email address not verified' } : { 409: 'Illegal move from the current status' },
      }),
      async (c) => c.json(await changeStatus(c.get('db'), c.get('user'), c.req.valid('param').id, action, c.get('outbox')), 200),
    )
  }
  return app
}
