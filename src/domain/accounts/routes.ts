import { z } from 'zod'
import { pageOf } from '../../http/docs-shapes.js'
import { openApiApp, route } from '../../http/openapi.js'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { DomainDeps } from '../deps.js'
import type { AppEnv } from '../env.js'
import { listApiKeys } from './repo.js'
import { accountUser, apiKeyInfo, createKeyBody, issuedKey, keyIdParam, loginBody, loginResult, registerBody, verifyEmailBody } from './schema.js'
import { issueKey, login, register, revokeKey, verifyEmail } from './service.js'

const tag = 'auth'

/** `/v1/auth`: registration, login (→ API key), email verification, key management. */
export function accountRoutes(deps: DomainDeps) {
  const limited = [deps.limits.auth]
  const user = [deps.auth.user]
  const app = openApiApp<AppEnv>()
  app.openapi(
    route({
      method: 'post',
      path: '/register',
      tag,
      auth: 'none',
      summary: 'Create an account; a verification token is emailed',
      middleware: limited,
      body: registerBody,
      responses: { 201: z.object({ user: accountUser }) },
      errors: { 409: 'Email already registered' },
    }),
    async (c) => c.json({ user: await register(c.get('db'), c.req.valid('json'), deps, c.get('outbox')) }, 201),
  )
  app.openapi(
    route({
      method: 'post',
      path: '/login',
      tag,
      auth: 'none',
      summary: 'Exchange email and password for a new API key (shown once)',
      middleware: limited,
      body: loginBody,
      responses: { 200: loginResult },
      errors: { 401: 'Wrong email or password', 409: 'Too many active keys' },
    }),
    async (c) => c.json(await login(c.get('db'), c.req.valid('json'), deps), 200),
  )
  app.openapi(
    route({ method: 'post', path: '/verify-email', tag, auth: 'none', summary: 'Consume an email verification token', middleware: limited, body: verifyEmailBody, responses: { 200: z.object({ user: accountUser }) } }),
    async (c) => c.json({ user: await verifyEmail(c.get('db'), c.req.valid('json').token, deps.sha256) }, 200),
  )
  app.openapi(route({ method: 'get', path: '/keys', tag, auth: 'user', summary: 'List your API keys', middleware: user, query: pageQuery, responses: { 200: pageOf(apiKeyInfo) } }), async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const page = keyset(decodeCursor(cursor), 2)
    return c.json(toPage(await listApiKeys(c.get('db'), c.get('user').id, page.where, page.params, limit), limit), 200)
  })
  app.openapi(
    route({ method: 'post', path: '/keys', tag, auth: 'user', summary: 'Create another API key (shown once)', middleware: user, body: createKeyBody, responses: { 201: issuedKey }, errors: { 409: 'Too many active keys' } }),
    async (c) => c.json(await issueKey(c.get('db'), c.get('user').id, c.req.valid('json').name, deps.sha256), 201),
  )
  app.openapi(
    route({ method: 'delete', path: '/keys/{id}', tag, auth: 'user', summary: 'Revoke an API key', middleware: user, params: keyIdParam, responses: { 200: z.object({ key: apiKeyInfo }) } }),
    async (c) => c.json({ key: await revokeKey(c.get('db'), c.get('user').id, c.req.valid('param').id) }, 200),
  )
  return app
}
