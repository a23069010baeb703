import type { Context } from 'hono'
import type { ZodType, output } from 'zod'
import { AppError, validationError } from '../../errors.js'
import { pageOf } from '../../http/docs-shapes.js'
import { documentRoute, openApiApp, route } from '../../http/openapi.js'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { Authentication } from '../accounts/authenticate.js'
import type { AppEnv } from '../env.js'
import type { DestinationPolicy } from './destination.js'
import { listEndpoints } from './repo.js'
import {
  createdEndpoint,
  createEndpointBody,
  delivery,
  deliveryIdParam,
  deliveryListQuery,
  endpoint,
  endpointIdParam,
  replayResult,
  replaySinceBody,
  testResult,
  updateEndpointBody,
} from './schema.js'
import { createEndpoint, deleteEndpoint, getEndpoint, listDeliveries, replayDelivery, replayFailedSince, sendTestEvent, updateEndpoint } from './service.js'

const tag = 'webhooks'

// Served through parameter routes (below): Hono's RegExpRouter cannot tell a static `deliveries`
// from `:id` in the same place, and would fall back to the slower TrieRouter for every route.
const testRoute = route({ method: 'post', path: '/{id}/test', tag, auth: 'user', summary: 'Send a webhook.test event through the outbox, the queue, signing and retries', params: endpointIdParam, responses: { 202: testResult } })
const replaySinceRoute = route({
  method: 'post',
  path: '/{id}/replay',
  tag,
  auth: 'user',
  summary: 'Deliver again every failed delivery of the endpoint since a time (≤ 1 000)',
  params: endpointIdParam,
  body: replaySinceBody,
  responses: { 202: replayResult },
})
const replayDeliveryRoute = route({ method: 'post', path: '/deliveries/{id}/replay', tag, auth: 'user', summary: 'Deliver one delivery again (same webhook-id)', params: deliveryIdParam, responses: { 202: replayResult } })

/** `/v1/webhooks`: a user's endpoints, their deliveries, tests and replays. */
export function webhookRoutes(policy: DestinationPolicy, { auth }: { auth: Authentication }) {
  const app = openApiApp<AppEnv>()
  app.use('*', auth.user)
  app.openapi(
    route({ method: 'post', path: '/', tag, auth: 'user', summary: 'Add a webhook endpoint; its `whsec_` signing secret is shown only here', body: createEndpointBody, responses: { 201: createdEndpoint } }),
    async (c) => {
      const created = await createEndpoint(c.get('db'), c.get('user'), c.req.valid('json'), policy)
      return c.json(created, 201, { Location: `/v1/webhooks/${created.id}` })
    },
  )
  app.openapi(route({ method: 'get', path: '/', tag, auth: 'user', summary: 'List webhook endpoints', query: pageQuery, responses: { 200: pageOf(endpoint) } }), async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const page = keyset(decodeCursor(cursor), 2)
    return c.json(toPage(await listEndpoints(c.get('db'), c.get('user').id, page.where, page.params, limit), limit), 200)
  })
  app.openapi(route({ method: 'get', path: '/{id}', tag, auth: 'user', summary: 'A webhook endpoint', params: endpointIdParam, responses: { 200: endpoint } }), async (c) =>
    c.json(await getEndpoint(c.get('db'), c.get('user').id, c.req.valid('param').id), 200),
  )
  app.openapi(
    route({ method: 'patch', path: '/{id}', tag, auth: 'user', summary: 'Change an endpoint; `enabled: true` re-enables a disabled one', params: endpointIdParam, body: updateEndpointBody, responses: { 200: endpoint } }),
    async (c) => c.json(await updateEndpoint(c.get('db'), c.get('user'), c.req.valid('param').id, c.req.valid('json'), policy), 200),
  )
  app.openapi(route({ method: 'delete', path: '/{id}', tag, auth: 'user', summary: 'Delete an endpoint', params: endpointIdParam, responses: { 204: 'Deleted' } }), async (c) => {
    await deleteEndpoint(c.get('db'), c.get('user').id, c.req.valid('param').id)
    return c.body(null, 204)
  })
  app.openapi(
    route({ method: 'get', path: '/{id}/deliveries', tag, auth: 'user', summary: 'Recent deliveries to an endpoint, newest first', params: endpointIdParam, query: deliveryListQuery, responses: { 200: pageOf(delivery) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 3, { alias: 'd' })
      return c.json(toPage(await listDeliveries(c.get('db'), c.get('user').id, c.req.valid('param').id, page.where, page.params, limit), limit), 200)
    },
  )
  for (const definition of [testRoute, replaySinceRoute, replayDeliveryRoute]) documentRoute(app, definition)
  app.post('/:id/:action', async (c) => {
    const action = c.req.param('action')
    if (action !== 'test' && action !== 'replay') throw noRoute(c.req.method, c.req.path)
    const id = parseWith(endpointIdParam, { id: c.req.param('id') }, 'param').id
    if (action === 'test') return c.json({ deliveryId: await sendTestEvent(c.get('db'), c.get('outbox'), c.get('user').id, id) }, 202)
    const { since } = parseWith(replaySinceBody, await jsonBody(c), 'body')
    return c.json({ replayed: await replayFailedSince(c.get('db'), c.get('outbox'), c.get('user').id, id, since) }, 202)
  })
  app.post('/:scope/:id/:action', async (c) => {
    if (c.req.param('scope') !== 'deliveries' || c.req.param('action') !== 'replay') throw noRoute(c.req.method, c.req.path)
    const id = parseWith(deliveryIdParam, { id: c.req.param('id') }, 'param').id
    await replayDelivery(c.get('db'), c.get('outbox'), c.get('user').id, id)
    return c.json({ replayed: 1 }, 202)
  })
  return app
}

const noRoute = (method: string, path: string) => new AppError(404, 'not_found', `no route for ${method} ${path}`)

function parseWith<T extends ZodType>(schema: T, value: unknown, where: string): output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw validationError(result.error, where)
  return result.data
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json()
  } catch {
    throw new AppError(400, 'bad_request', 'the body must be JSON')
  }
}
