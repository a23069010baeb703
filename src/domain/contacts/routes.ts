import { decodeCursor, keyset, toPage } from '../../http/pagination.js'
import { pageOf } from '../../http/docs-shapes.js'
import { openApiApp, route } from '../../http/openapi.js'
import type { Authentication } from '../accounts/authenticate.js'
import type { AppEnv } from '../env.js'
import { listContacts } from './repo.js'
import { contact, contactIdParam, contactInput, contactListQuery, contactPatch, importBody, importResult } from './schema.js'
import { createContact, deleteContact, getContact, importContacts, updateContact } from './service.js'

const tag = 'contacts'

/** `/v1/contacts`: a user's contacts. */
export function contactRoutes({ auth }: { auth: Authentication }) {
  const app = openApiApp<AppEnv>()
  app.use('*', auth.user)
  app.openapi(route({ method: 'post', path: '/', tag, auth: 'user', summary: 'Add a contact', body: contactInput, responses: { 201: contact }, errors: { 409: 'Email already a contact' } }), async (c) => {
    const created = await createContact(c.get('db'), c.get('user').id, c.req.valid('json'))
    return c.json(created, 201, { Location: `/v1/contacts/${created.id}` })
  })
  app.openapi(
    route({ method: 'post', path: '/import', tag, auth: 'user', summary: 'Import up to 1 000 contacts in one statement; existing emails are skipped', body: importBody, responses: { 200: importResult } }),
    async (c) => c.json(await importContacts(c.get('db'), c.get('user').id, c.req.valid('json').contacts), 200),
  )
  app.openapi(route({ method: 'get', path: '/', tag, auth: 'user', summary: 'List contacts, newest first', query: contactListQuery, responses: { 200: pageOf(contact) } }), async (c) => {
    const { limit, cursor, unsubscribed } = c.req.valid('query')
    const page = keyset(decodeCursor(cursor), 3)
    const filter = unsubscribed === undefined ? undefined : unsubscribed === 'true'
    return c.json(toPage(await listContacts(c.get('db'), c.get('user').id, filter, page.where, page.params, limit), limit), 200)
  })
  app.openapi(route({ method: 'get', path: '/{id}', tag, auth: 'user', summary: 'A contact', params: contactIdParam, responses: { 200: contact } }), async (c) =>
    c.json(await getContact(c.get('db'), c.get('user').id, c.req.valid('param').id), 200),
  )
  app.openapi(
    route({
      method: 'patch',
      path: '/{id}',
      tag,
      auth: 'user',
      summary: 'Change a contact; `unsubscribed` and `replied` set or clear those flags',
      params: contactIdParam,
      body: contactPatch,
      responses: { 200: contact },
      errors: { 409: 'Email already a contact' },
    }),
    async (c) => c.json(await updateContact(c.get('db'), c.get('user').id, c.req.valid('param').id, c.req.valid('json')), 200),
  )
  app.openapi(route({ method: 'delete', path: '/{id}', tag, auth: 'user', summary: 'Delete a contact', params: contactIdParam, responses: { 204: 'Deleted' } }), async (c) => {
    await deleteContact(c.get('db'), c.get('user').id, c.req.valid('param').id)
    return c.body(null, 204)
  })
  return app
}
