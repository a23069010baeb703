import { Hono } from 'hono'
import { decodeCursor, keyset, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import type { Authentication } from '../accounts/authenticate.js'
import { listContacts } from './repo.js'
import { contactIdParam, contactInput, contactListQuery, contactPatch, importBody } from './schema.js'
import { createContact, deleteContact, getContact, importContacts, updateContact } from './service.js'

export function contactRoutes({ auth }: { auth: Authentication }) {
  return new Hono<AppEnv>()
    .use('*', auth.user)
    .post('/', validate('json', contactInput), async (c) => {
      const contact = await createContact(c.get('db'), c.get('user').id, c.req.valid('json'))
      return c.json(contact, 201, { Location: `/v1/contacts/${contact.id}` })
    })
    .post('/import', validate('json', importBody), async (c) => {
      return c.json(await importContacts(c.get('db'), c.get('user').id, c.req.valid('json').contacts))
    })
    .get('/', validate('query', contactListQuery), async (c) => {
      const { limit, cursor, unsubscribed } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 3)
      const filter = unsubscribed === undefined ? undefined : unsubscribed === 'true'
      return c.json(toPage(await listContacts(c.get('db'), c.get('user').id, filter, page.where, page.params, limit), limit))
    })
    .get('/:id', validate('param', contactIdParam), async (c) => {
      return c.json(await getContact(c.get('db'), c.get('user').id, c.req.valid('param').id))
    })
    .patch('/:id', validate('param', contactIdParam), validate('json', contactPatch), async (c) => {
      return c.json(await updateContact(c.get('db'), c.get('user').id, c.req.valid('param').id, c.req.valid('json')))
    })
    .delete('/:id', validate('param', contactIdParam), async (c) => {
      await deleteContact(c.get('db'), c.get('user').id, c.req.valid('param').id)
      return c.body(null, 204)
    })
}
