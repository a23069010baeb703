import { Hono } from 'hono'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import type { DomainDeps } from '../deps.js'
import { listApiKeys } from './repo.js'
import { createKeyBody, keyIdParam, loginBody, registerBody, verifyEmailBody } from './schema.js'
import { issueKey, login, register, revokeKey, verifyEmail } from './service.js'

/** `/v1/auth`: registration, login (→ API key), email verification, key management. */
export function accountRoutes(deps: DomainDeps) {
  const { auth: limited } = deps.limits
  const requireUser = deps.auth.user
  return new Hono<AppEnv>()
    .post('/register', limited, validate('json', registerBody), async (c) => {
      const user = await register(c.get('db'), c.req.valid('json'), deps, c.get('outbox'))
      return c.json({ user }, 201)
    })
    .post('/login', limited, validate('json', loginBody), async (c) => {
      return c.json(await login(c.get('db'), c.req.valid('json'), deps))
    })
    .post('/verify-email', limited, validate('json', verifyEmailBody), async (c) => {
      return c.json({ user: await verifyEmail(c.get('db'), c.req.valid('json').token, deps.sha256) })
    })
    .get('/keys', requireUser, validate('query', pageQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 2)
      return c.json(toPage(await listApiKeys(c.get('db'), c.get('user').id, page.where, page.params, limit), limit))
    })
    .post('/keys', requireUser, validate('json', createKeyBody), async (c) => {
      return c.json(await issueKey(c.get('db'), c.get('user').id, c.req.valid('json').name, deps.sha256), 201)
    })
    .delete('/keys/:id', requireUser, validate('param', keyIdParam), async (c) => {
      return c.json({ key: await revokeKey(c.get('db'), c.get('user').id, c.req.valid('param').id) })
    })
}
