import { Hono } from 'hono'
import type { AppEnv } from '../../http/types.js'
import { validate } from '../../http/validate.js'
import { createUserBody, userIdParam } from './schema.js'
import { createUser, getUser } from './service.js'

export function userRoutes() {
  return new Hono<AppEnv>()
    .post('/', validate('json', createUserBody), async (c) => {
      const user = await createUser(c.get('db'), c.req.valid('json'))
      return c.json(user, 201, { Location: `/v1/users/${user.id}` })
    })
    .get('/:id', validate('param', userIdParam), async (c) => {
      return c.json(await getUser(c.get('db'), c.req.valid('param').id))
    })
}
