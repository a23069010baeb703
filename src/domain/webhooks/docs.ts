import { pageOf } from '../../http/docs-shapes.js'
import { describe, type Registry } from '../../http/openapi.js'
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
import { pageQuery } from '../../http/pagination.js'

export function webhookDocs(r: Registry) {
  const tag = 'webhooks'
  describe(r, {
    method: 'post', path: '/v1/webhooks', tag, auth: 'user', summary: 'Add a webhook endpoint; its `whsec_` signing secret is shown only here',
    body: createEndpointBody, responses: { 201: createdEndpoint },
  })
  describe(r, { method: 'get', path: '/v1/webhooks', tag, auth: 'user', summary: 'List webhook endpoints', query: pageQuery, responses: { 200: pageOf(endpoint) } })
  describe(r, { method: 'get', path: '/v1/webhooks/:id', tag, auth: 'user', summary: 'A webhook endpoint', params: endpointIdParam, responses: { 200: endpoint } })
  describe(r, {
    method: 'patch', path: '/v1/webhooks/:id', tag, auth: 'user', summary: 'Change an endpoint; `enabled: true` re-enables a disabled one',
    params: endpointIdParam, body: updateEndpointBody, responses: { 200: endpoint },
  })
  describe(r, { method: 'delete', path: '/v1/webhooks/:id', tag, auth: 'user', summary: 'Delete an endpoint', params: endpointIdParam, responses: { 204: 'Deleted' } })
  describe(r, {
    method: 'get', path: '/v1/webhooks/:id/deliveries', tag, auth: 'user', summary: 'Recent deliveries to an endpoint, newest first',
    params: endpointIdParam, query: deliveryListQuery, responses: { 200: pageOf(delivery) },
  })
  describe(r, {
    method: 'post', path: '/v1/webhooks/:id/test', tag, auth: 'user', summary: 'Send a webhook.test event through the outbox, the queue, signing and retries',
    params: endpointIdParam, responses: { 202: testResult },
  })
  describe(r, {
    method: 'post', path: '/v1/webhooks/:id/replay', tag, auth: 'user', summary: 'Deliver again every failed delivery of the endpoint since a time (≤ 1 000)',
    params: endpointIdParam, body: replaySinceBody, responses: { 202: replayResult },
  })
  describe(r, {
    method: 'post', path: '/v1/webhooks/deliveries/:id/replay', tag, auth: 'user', summary: 'Deliver one delivery again (same webhook-id)',
    params: deliveryIdParam, responses: { 202: replayResult },
  })
}
