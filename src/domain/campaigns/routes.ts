import { Hono, type MiddlewareHandler } from 'hono'
import { decodeCursor, keyset, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import type { DomainDeps } from '../deps.js'
import { listCampaigns } from './repo.js'
import { campaignIdParam, campaignListQuery, createCampaignBody, updateCampaignBody } from './schema.js'
import { changeStatus, createCampaign, deleteCampaign, getCampaign, updateCampaign } from './service.js'
import type { CampaignAction } from './state.js'
import type { StreamConfig } from './config.js'
import type { ConnectionSource } from '../../db/types.js'
import { campaignEvents } from './events-stream.js'

export const campaignActions: CampaignAction[] = ['start', 'pause', 'resume', 'cancel']

export function campaignRoutes(deps: Pick<DomainDeps, 'limits' | 'auth'> & { connections: ConnectionSource; streams: StreamConfig }) {
  const app = new Hono<AppEnv>()
    .use('*', deps.auth.user)
    .post('/', deps.limits.campaignCreate, validate('json', createCampaignBody), async (c) => {
      const campaign = await createCampaign(c.get('db'), c.get('user').id, c.req.valid('json'))
      return c.json(campaign, 201, { Location: `/v1/campaigns/${campaign.id}` })
    })
    .get('/', validate('query', campaignListQuery), async (c) => {
      const { limit, cursor, status } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 3, { alias: 'c' })
      return c.json(toPage(await listCampaigns(c.get('db'), c.get('user').id, status, page.where, page.params, limit), limit))
    })
    .get('/:id/events', validate('param', campaignIdParam), campaignEvents(deps))
    .get('/:id', validate('param', campaignIdParam), async (c) => {
      return c.json(await getCampaign(c.get('db'), c.get('user').id, c.req.valid('param').id))
    })
    .patch('/:id', validate('param', campaignIdParam), validate('json', updateCampaignBody), async (c) => {
      return c.json(await updateCampaign(c.get('db'), c.get('user').id, c.req.valid('param').id, c.req.valid('json')))
    })
    .delete('/:id', validate('param', campaignIdParam), async (c) => {
      await deleteCampaign(c.get('db'), c.get('user').id, c.req.valid('param').id)
      return c.body(null, 204)
    })
  const noLimit: MiddlewareHandler<AppEnv> = (_c, next) => next()
  for (const action of campaignActions) {
    app.post(`/:id/${action}`, action === 'start' ? deps.limits.campaignStart : noLimit, validate('param', campaignIdParam), async (c) => {
      return c.json(await changeStatus(c.get('db'), c.get('user'), c.req.valid('param').id, action, c.get('outbox')))
    })
  }
  return app
}
