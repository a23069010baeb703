import { openApiApp, route } from '../../http/openapi.js'
import type { Authentication } from '../accounts/authenticate.js'
import { accountUser } from '../accounts/schema.js'
import type { AppEnv } from '../env.js'
import { userIdParam } from './schema.js'
import { getUser } from './service.js'

const tag = 'users'

/** Mounted at `/v1`. `/me` is not `/users/me`: Hono's RegExpRouter cannot tell a static segment from `:id` at the same place. */
export function userRoutes({ auth }: { auth: Authentication }) {
  const app = openApiApp<AppEnv>()
  app.openapi(route({ method: 'get', path: '/me', tag, auth: 'user', summary: 'The user the API key belongs to', middleware: [auth.user], responses: { 200: accountUser } }), async (c) =>
    c.json(await getUser(c.get('db'), c.get('user'), c.get('user').id), 200),
  )
  app.openapi(
    route({ method: 'get', path: '/users/{id}', tag, auth: 'user', summary: 'A user: yourself, or anyone for an admin', middleware: [auth.user], params: userIdParam, responses: { 200: accountUser } }),
    async (c) => c.json(await getUser(c.get('db'), c.get('user'), c.req.valid('param').id), 200),
  )
  return app
}
