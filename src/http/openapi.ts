/**
 * The OpenAPI document, generated from the same zod schemas the routes validate with. Each domain
 * module describes its routes next to them (`docs.ts`) through `describe`, which adds the error
 * answers every route shares, so a route's documentation is a few lines.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi'
import { z, type ZodObject, type ZodType } from 'zod'

export type Registry = OpenAPIRegistry

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  /** Hono style: `/v1/contacts/:id`. */
  path: string
  summary: string
  tag: string
  /** `user`: API key; `admin`: API key of an admin; `ops`: OPS_TOKEN; `signed`: task/queue signature. */
  auth: 'none' | 'user' | 'admin' | 'ops' | 'signed'
  params?: ZodObject
  query?: ZodObject
  body?: ZodType
  /** Success answers: status → body schema (or a description for an empty body). */
  responses: Record<number, ZodType | string>
  rateLimited?: boolean
  /** Extra error statuses beyond the shared ones, with what they mean. */
  errors?: Record<number, string>
}

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
})

const json = (schema: ZodType) => ({ 'application/json': { schema } })

export function describe(registry: Registry, doc: RouteDoc): void {
  const errors: Record<number, string> = {}
  if (doc.params || doc.query || doc.body) errors[400] = 'Invalid input; `details` names each failing field'
  if (doc.auth !== 'none') errors[401] = 'Missing or invalid credentials'
  if (doc.auth === 'admin' || doc.auth === 'ops') errors[403] = 'Credentials lack the needed role'
  if (doc.params) errors[404] = 'Not found (or not yours)'
  if (doc.body) errors[413] = 'Body over the size limit'
  if (doc.rateLimited !== false && doc.path.startsWith('/v1')) errors[429] = 'Rate limited; see Retry-After and RateLimit-* headers'
  errors[503] = 'Database unavailable; see Retry-After'
  Object.assign(errors, doc.errors)

  const responses: RouteConfig['responses'] = {}
  for (const [status, schema] of Object.entries(doc.responses)) {
    responses[status] = typeof schema === 'string' ? { description: schema } : { description: 'Success', content: json(schema) }
  }
  for (const [status, description] of Object.entries(errors)) responses[status] = { description, content: json(errorBody) }

  registry.registerPath({
    method: doc.method,
    path: doc.path.replace(/:(\w+)/g, '{$1}'),
    summary: doc.summary,
    tags: [doc.tag],
    security: { none: [], ops: [{ opsToken: [] }], signed: [{ taskSignature: [] }, { cronSecret: [] }], user: [{ apiKey: [] }], admin: [{ apiKey: [] }] }[doc.auth],
    request: {
      params: doc.params,
      query: doc.query,
      body: doc.body ? { content: json(doc.body), required: true } : undefined,
    },
    responses,
  })
}

export function generateDocument(register: (registry: Registry) => void): object {
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key `lt_…` from POST /v1/auth/login',
  })
  registry.registerComponent('securitySchemes', 'opsToken', { type: 'http', scheme: 'bearer', description: 'OPS_TOKEN' })
  registry.registerComponent('securitySchemes', 'taskSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Lowtide-Signature',
    description: 'v1=<hex HMAC-SHA256 of "<X-Lowtide-Timestamp>.<body>"> with TASK_SIGNING_SECRET; timestamp within ±5 min',
  })
  registry.registerComponent('securitySchemes', 'cronSecret', { type: 'http', scheme: 'bearer', description: 'CRON_SECRET' })
  register(registry)
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'lowtide API',
      version: '1',
      description: 'Outreach backend: accounts and credits, contacts, campaigns, webhook endpoints. Errors are `{"error":{"code","message","details?"}}`.',
    },
  })
}
