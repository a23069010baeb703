/**
 * Routes and their OpenAPI description in one place, with @hono/zod-openapi: a route is declared once
 * with `route({...})` — method, path, summary, who may call it, the zod schemas of its input and of
 * its answers — and mounted with `app.openapi(definition, handler)`, which validates the input with
 * those schemas and records the definition for `/openapi.json`. `route` adds what every route shares:
 * the error answers (400 with the failing fields, 401, 403, 404, 413, 429, 503), their body, and the
 * security scheme of its `auth`.
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { Env, MiddlewareHandler } from 'hono'
import { z, type ZodObject, type ZodType } from 'zod'
import { AppError, validationError } from '../errors.js'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
/** `user`: API key; `admin`: API key of an admin; `ops`: OPS_TOKEN; `signed`: task/queue signature. */
export type Auth = 'none' | 'user' | 'admin' | 'ops' | 'signed'

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional().describe('For 400: `[{path, message}]`, one per failing field'),
  }),
})

type Json<S extends ZodType> = { content: { 'application/json': { schema: S } }; description: string }
/** A success answer: a body schema, `{ type, description }` for another media type, or a description for an empty body. */
type Answer = ZodType | { mediaType: string; description: string } | string
type Answers<R extends Record<number, Answer>> = {
  [K in keyof R]: R[K] extends ZodType ? Json<R[K]> : R[K] extends { mediaType: string } ? { content: Record<string, { schema: ZodType }>; description: string } : { description: string }
}

const json = <S extends ZodType>(schema: S, description: string): Json<S> => ({ content: { 'application/json': { schema } }, description })
const security: Record<Auth, Record<string, string[]>[]> = {
  none: [],
  ops: [{ opsToken: [] }],
  signed: [{ taskSignature: [] }, { cronSecret: [] }],
  user: [{ apiKey: [] }],
  admin: [{ apiKey: [] }],
}

export function route<
  M extends Method,
  P extends string,
  R extends Record<number, Answer>,
  Params extends ZodObject | undefined = undefined,
  Query extends ZodObject | undefined = undefined,
  Body extends ZodType | undefined = undefined,
>(doc: {
  method: M
  /** OpenAPI style: `/{id}`. */
  path: P
  summary: string
  /** Longer prose for the route, when the summary cannot say it all (a status rule). */
  description?: string
  tag: string
  auth: Auth
  params?: Params
  query?: Query
  body?: Body
  /** Success answers by status. */
  responses: R
  /** Extra error statuses beyond the shared ones, with what they mean. */
  errors?: Record<number, string>
  /** Whether a rate limit may answer 429. @default true, except for ops and signed routes */
  rateLimited?: boolean
  /** Middleware before validation (authentication, a rate limit). */
  middleware?: MiddlewareHandler[]
}) {
  const errors: Record<number, string> = {}
  if (doc.params || doc.query || doc.body) errors[400] = 'Invalid input; `details` names each failing field'
  if (doc.auth !== 'none') errors[401] = 'Missing or invalid credentials'
  if (doc.auth === 'admin' || doc.auth === 'ops') errors[403] = 'Credentials lack the needed role'
  if (doc.params) errors[404] = 'Not found (or not yours)'
  if (doc.body) errors[413] = 'Body over the size limit'
  if (doc.rateLimited ?? (doc.auth !== 'ops' && doc.auth !== 'signed')) errors[429] = 'Rate limited; see Retry-After and RateLimit-* headers'
  errors[503] = 'Database unavailable; see Retry-After'
  Object.assign(errors, doc.errors)
  // A status the route answers with its own body is not the shared error.
  for (const status of Object.keys(doc.responses)) delete errors[Number(status)]

  const responses: Record<number, unknown> = {}
  for (const [status, answer] of Object.entries(doc.responses)) {
    responses[Number(status)] =
      typeof answer === 'string' ? { description: answer } : 'mediaType' in answer ? { content: { [answer.mediaType]: { schema: z.string() } }, description: answer.description } : json(answer as ZodType, 'Success')
  }
  for (const [status, description] of Object.entries(errors)) responses[Number(status)] = json(errorBody, description)

  type Request = {
    params: Params
    query: Query
    body: Body extends ZodType ? Json<Body> & { required: true } : undefined
  }
  const config = {
    method: doc.method,
    path: doc.path,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    security: security[doc.auth],
    ...(doc.middleware || doc.body ? { middleware: [...(doc.middleware ?? []), ...(doc.body ? [jsonContent] : [])] } : {}),
    request: { params: doc.params, query: doc.query, body: (doc.body ? { ...json(doc.body, 'JSON body'), required: true } : undefined) as Request['body'] },
    responses: responses as Answers<R>,
  }
  return createRoute(config as typeof config & { request: Request })
}

/**
 * A body route wants JSON: without `Content-Type: application/json` the answer is our 400 naming the
 * body (as a missing field would be), before the library's own 415.
 */
const jsonContent: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type')
  if (!type || !/^application\/([\w.-]+\+)?json\b/i.test(type)) {
    throw new AppError(400, 'validation_failed', 'invalid body: send JSON with Content-Type: application/json', [{ path: '(body)', message: 'expected a JSON body' }])
  }
  return next()
}

/** An app whose invalid input answers our 400 (`validation_failed`, naming the fields), not zod's own shape. */
export function openApiApp<E extends Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target === 'json' ? 'body' : result.target)
    },
  })
}

/** Registers the security schemes the routes name (once, on the app that serves `/openapi.json`). */
export function registerSecuritySchemes(app: { openAPIRegistry: OpenAPIHono['openAPIRegistry'] }): void {
  const r = app.openAPIRegistry
  r.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'An API key `lt_…` from POST /v1/auth/login' })
  r.registerComponent('securitySchemes', 'opsToken', { type: 'http', scheme: 'bearer', description: 'OPS_TOKEN' })
  r.registerComponent('securitySchemes', 'taskSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Lowtide-Signature',
    description: 'v2=<hex HMAC-SHA256 of "<X-Lowtide-Timestamp>\\n<METHOD>\\n<path>\\n<body>"> with TASK_SIGNING_SECRET; timestamp within ±5 min',
  })
  r.registerComponent('securitySchemes', 'cronSecret', { type: 'http', scheme: 'bearer', description: 'CRON_SECRET' })
}

/**
 * Documents a route that is served by another handler: one whose path Hono's RegExpRouter cannot
 * take as written (a static segment where another route has a parameter), dispatched from a
 * parameter route that validates with the same definition's schemas.
 */
export function documentRoute(app: OpenAPIHono<any>, definition: ReturnType<typeof route>): void {
  app.openAPIRegistry.registerPath(definition)
}
