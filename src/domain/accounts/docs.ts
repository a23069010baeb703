import { z } from 'zod'
import { pageOf } from '../../http/docs-shapes.js'
import { describe, type Registry } from '../../http/openapi.js'
import { pageQuery } from '../../http/pagination.js'
import { accountUser, apiKeyInfo, createKeyBody, issuedKey, keyIdParam, loginBody, loginResult, registerBody, verifyEmailBody } from './schema.js'

export function accountDocs(r: Registry) {
  const tag = 'auth'
  describe(r, {
    method: 'post', path: '/v1/auth/register', tag, auth: 'none', summary: 'Create an account; a verification token is emailed',
    body: registerBody, responses: { 201: z.object({ user: accountUser }) }, errors: { 409: 'Email already registered' },
  })
  describe(r, {
    method: 'post', path: '/v1/auth/login', tag, auth: 'none', summary: 'Exchange email and password for a new API key (shown once)',
    body: loginBody, responses: { 200: loginResult }, errors: { 401: 'Wrong email or password', 409: 'Too many active keys' },
  })
  describe(r, {
    method: 'post', path: '/v1/auth/verify-email', tag, auth: 'none', summary: 'Consume an email verification token',
    body: verifyEmailBody, responses: { 200: z.object({ user: accountUser }) },
  })
  describe(r, { method: 'get', path: '/v1/auth/keys', tag, auth: 'user', summary: 'List your API keys', query: pageQuery, responses: { 200: pageOf(apiKeyInfo) } })
  describe(r, {
    method: 'post', path: '/v1/auth/keys', tag, auth: 'user', summary: 'Create another API key (shown once)',
    body: createKeyBody, responses: { 201: issuedKey }, errors: { 409: 'Too many active keys' },
  })
  describe(r, { method: 'delete', path: '/v1/auth/keys/:id', tag, auth: 'user', summary: 'Revoke an API key', params: keyIdParam, responses: { 200: z.object({ key: apiKeyInfo }) } })
}
