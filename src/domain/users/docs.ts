import { describe, type Registry } from '../../http/openapi.js'
import { accountUser } from '../accounts/schema.js'
import { userIdParam } from './schema.js'

export function userDocs(r: Registry) {
  describe(r, { method: 'get', path: '/v1/me', tag: 'users', auth: 'user', summary: 'The user the API key belongs to', responses: { 200: accountUser } })
  describe(r, {
    method: 'get', path: '/v1/users/:id', tag: 'users', auth: 'user', summary: 'A user: yourself, or anyone for an admin',
    params: userIdParam, responses: { 200: accountUser },
  })
}
