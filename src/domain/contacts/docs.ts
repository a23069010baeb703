import { pageOf } from '../../http/docs-shapes.js'
import { describe, type Registry } from '../../http/openapi.js'
import { contact, contactIdParam, contactInput, contactListQuery, contactPatch, importBody, importResult } from './schema.js'

export function contactDocs(r: Registry) {
  const tag = 'contacts'
  describe(r, { method: 'post', path: '/v1/contacts', tag, auth: 'user', summary: 'Add a contact', body: contactInput, responses: { 201: contact }, errors: { 409: 'Email already a contact' } })
  describe(r, {
    method: 'post', path: '/v1/contacts/import', tag, auth: 'user', summary: 'Import up to 1 000 contacts in one statement; existing emails are skipped',
    body: importBody, responses: { 200: importResult },
  })
  describe(r, { method: 'get', path: '/v1/contacts', tag, auth: 'user', summary: 'List contacts, newest first', query: contactListQuery, responses: { 200: pageOf(contact) } })
  describe(r, { method: 'get', path: '/v1/contacts/:id', tag, auth: 'user', summary: 'A contact', params: contactIdParam, responses: { 200: contact } })
  describe(r, {
    method: 'patch', path: '/v1/contacts/:id', tag, auth: 'user', summary: 'Change a contact; `unsubscribed` and `replied` set or clear those flags',
    params: contactIdParam, body: contactPatch, responses: { 200: contact }, errors: { 409: 'Email already a contact' },
  })
  describe(r, { method: 'delete', path: '/v1/contacts/:id', tag, auth: 'user', summary: 'Delete a contact', params: contactIdParam, responses: { 204: 'Deleted' } })
}
