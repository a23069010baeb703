import { Hono, type Context } from 'hono'
import type { ZodType, output } from 'zod'
import { AppError, validationError } from '../../errors.js'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import type { Authentication } from '../accounts/authenticate.js'
import { listEndpoints } from './repo.js'
import type { DestinationPolicy } from './destination.js'
import { createEndpointBody, deliveryIdParam, deliveryListQuery, endpointIdParam, replaySinceBody, updateEndpointBody } from './schema.js'
import { createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, replayDelivery, replayFailedSince, sendTestEvent, updateEndpoint } from './service.js'

export function webhookRoutes(policy: DestinationPolicy, { auth }: { auth: Authentication }) {
  return new Hono<AppEnv>()
    .use('*', auth.user)
    .post('/', validate('json', createEndpointBody), async (c) => {
      const endpoint = await createEndpoint(c.get('db'), c.get('user').id, c.req.valid('json'), policy)
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
      return c.json(await updateEndpoint(c.get('db'), c.get('user').id, c.req.valid('param').id, c.req.valid('json'), policy))
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
    // POST /:id/test, /:id/replay and /deliveries/:id/replay, written with params only: Hono's
    // RegExpRouter cannot tell a static `deliveries` from `:id` in the same place (it would fall
    // back to the slower TrieRouter for every route).
    .post('/:id/:action', async (c) => {
      const action = c.req.param('action')
      if (action !== 'test' && action !== 'replay') throw noRoute(c.req.method, c.req.path)
      const id = parseParams(endpointIdParam, { id: c.req.param('id') }).id
      if (action === 'test') return c.json({ deliveryId: await sendTestEvent(c.get('db'), c.get('outbox'), c.get('user').id, id) }, 202)
      const { since } = replaySinceBody.parse(await jsonBody(c))
      return c.json({ replayed: await replayFailedSince(c.get('db'), c.get('outbox'), c.get('user').id, id, since) }, 202)
    })
    .post('/:scope/:id/:action', async (c) => {
      if (c.req.param('scope') !== 'deliveries' || c.req.param('action') !== 'replay') throw noRoute(c.req.method, c.req.path)
      const id = parseParams(deliveryIdParam, { id: c.req.param('id') }).id
      await replayDelivery(c.get('db'), c.get('outbox'), c.get('user').id, id)
      return c.json({ replayed: 1 }, 202)
    })
}

const noRoute = (method: string, path: string) => new AppError(404, 'not_found', `no route for ${method} ${path}`)

function parseParams<T extends ZodType>(schema: T, value: unknown): output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw validationError(result.error, 'param')
  return result.data
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json()
  } catch {
    throw new AppError(400, 'bad_request', 'the body must be JSON')
  }
}
