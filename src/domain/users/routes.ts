import { Hono } from 'hono'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import type { Authentication } from '../accounts/authenticate.js'
import { userIdParam } from './schema.js'
import { getUser } from './service.js'

/** Mounted at `/v1`. `/me` is not `/users/me`: Hono's RegExpRouter cannot tell a static segment from `:id` at the same place. */
export function userRoutes({ auth }: { auth: Authentication }) {
  const requireUser = auth.user
  return new Hono<AppEnv>()
    .get('/me', requireUser, async (c) => c.json(await getUser(c.get('db'), c.get('user'), c.get('user').id)))
    .get('/users/:id', requireUser, validate('param', userIdParam), async (c) => {
      return c.json(await getUser(c.get('db'), c.get('user'), c.req.valid('param').id))
    })
}
