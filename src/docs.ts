/** `GET /openapi.json` (generated once, from the routes' zod schemas) and `GET /docs` (Swagger UI). */
import { swaggerUI } from '@hono/swagger-ui'
import { Hono } from 'hono'
import { accountDocs } from './domain/accounts/docs.js'
import { adminDocs } from './domain/admin/docs.js'
import { campaignDocs } from './domain/campaigns/docs.js'
import { contactDocs } from './domain/contacts/docs.js'
import { creditDocs } from './domain/credits/docs.js'
import { userDocs } from './domain/users/docs.js'
import { webhookDocs } from './domain/webhooks/docs.js'
import { describe, generateDocument, type Registry } from './http/openapi.js'
import { z } from 'zod'
import { taskBody, taskParam } from './tasks/routes.js'
import { deliverBody } from './queue/routes.js'

function platformDocs(r: Registry) {
  describe(r, { method: 'get', path: '/health', tag: 'ops', auth: 'none', summary: 'Liveness; touches no database', responses: { 200: z.object({ status: z.literal('ok') }) } })
  describe(r, {
    method: 'get', path: '/readyz', tag: 'ops', auth: 'ops', summary: 'Readiness: a database round trip, pool stats, this app\'s connections',
    responses: { 200: z.object({ status: z.literal('ok') }).catchall(z.unknown()) },
  })
  describe(r, { method: 'get', path: '/ops', tag: 'ops', auth: 'ops', summary: 'The ops dashboard (HTML; a browser is asked for Basic credentials, the ops token as password)', responses: { 200: 'text/html' } })
  describe(r, { method: 'get', path: '/ops/data.json', tag: 'ops', auth: 'ops', summary: 'The dashboard’s numbers as JSON', responses: { 200: z.object({ generatedAt: z.string() }).catchall(z.unknown()) } })
  describe(r, {
    method: 'post', path: '/tasks/:name', tag: 'tasks', auth: 'signed', summary: 'Run one occurrence of a task from the schedule registry',
    params: taskParam, body: taskBody,
    responses: {
      200: z.object({
        runId: z.uuid(), task: z.string(), scheduledAt: z.string(), status: z.enum(['succeeded', 'duplicate']),
        processed: z.number().int(), more: z.boolean(), caughtUp: z.number().int(), skipped: z.number().int(),
      }).catchall(z.unknown()),
    },
    errors: { 409: 'The task is running elsewhere (overlap policy skip); details carry its run id' },
  })
  describe(r, {
    method: 'post', path: '/queue/deliver', tag: 'tasks', auth: 'signed', summary: 'Process one outbox row named by an SQS message, idempotently',
    body: deliverBody,
    responses: {
      200: z.object({
        result: z.enum(['done', 'duplicate', 'unknown', 'dead', 'retry', 'deferred', 'postponed']),
        retryAfterS: z.number().int().optional(),
        nextAttemptAt: z.string().optional(),
        error: z.string().optional(),
        reason: z.string().optional().describe('postponed: what it waits for (a task lease held elsewhere); not a failed attempt'),
      }),
    },
  })
}

let document: object | undefined
export function openApiDocument(): object {
  document ??= generateDocument((r) => {
    platformDocs(r)
    for (const register of [accountDocs, userDocs, creditDocs, contactDocs, campaignDocs, webhookDocs, adminDocs]) register(r)
  })
  return document
}

export function docsRoutes() {
  return new Hono()
    .get('/openapi.json', (c) => c.json(openApiDocument()))
    .get('/docs', swaggerUI({ url: '/openapi.json', title: 'lowtide API' }))
}
