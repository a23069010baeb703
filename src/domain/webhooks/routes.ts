import { Hono } from 'hono'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../../http/types.js'
import { validate } from '../../http/validate.js'
import { requireUser } from '../accounts/authenticate.js'
import { listEndpoints } from './repo.js'
import { createEndpointBody, deliveryListQuery, endpointIdParam, updateEndpointBody } from './schema.js'
import { createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, updateEndpoint } from './service.js'

export function webhookRoutes() {
  return new Hono<AppEnv>()
    .use('*', requireUser)
    .post('/', validate('json', createEndpointBody), async (c) => {
      const endpoint = await createEndpoint(c.get('db'), c.get('user').id, c.req.valid('json'))
      return c.json(endpoint, 201, { Location: `/v1/webhooks/${endpoint.id}` })
    })
    .get('/', validate('query', pageQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 2)
      return c.json(toPage(await listEndpoints(c.get('db'), c.get('user').id, page.where, page.params, limit), limit))
    })
    .get('/:id', validate('param', endpointIdParam), async (c) => {
      return c.json(await getEndpoint(c.get('db'), c.get('user').id, c.req.valid('param').id))
    })
    .patch('/:id', validate('param', endpointIdParam), validate('json', updateEndpointBody), async (c) => {
      return c.json(await updateEndpoint(c.get('db'), c.get('user').id, c.req.valid('param').id, c.req.valid('json')))
    })
    .delete('/:id', validate('param', endpointIdParam), async (c) => {
      await deleteEndpoint(c.get('db'), c.get('user').id, c.req.valid('param').id)
      return c.body(null, 204)
    })
    .get('/:id/deliveries', validate('param', endpointIdParam), validate('query', deliveryListQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 3, { alias: 'd' })
      const rows = await listDeliveries(c.get('db'), c.get('user').id, c.req.valid('param').id, page.where, page.params, limit)
      return c.json(toPage(rows, limit))
    })
}
