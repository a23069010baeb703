import { Hono } from 'hono'
import type { AppEnv } from '../../http/types.js'
import { validate } from '../../http/validate.js'
import { requireUser } from '../accounts/authenticate.js'
import { userIdParam } from './schema.js'
import { getUser } from './service.js'

export function userRoutes() {
  return new Hono<AppEnv>()
    .use('*', requireUser)
    .get('/me', async (c) => c.json(await getUser(c.get('db'), c.get('user'), c.get('user').id)))
    .get('/:id', validate('param', userIdParam), async (c) => {
      return c.json(await getUser(c.get('db'), c.get('user'), c.req.valid('param').id))
    })
}
