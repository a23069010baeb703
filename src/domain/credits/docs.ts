import { pageOf } from '../../http/docs-shapes.js'
import { describe, type Registry } from '../../http/openapi.js'
import { pageQuery } from '../../http/pagination.js'
import { balance, creditTransaction, thresholdBody } from './schema.js'

export function creditDocs(r: Registry) {
  const tag = 'credits'
  describe(r, { method: 'get', path: '/v1/credits', tag, auth: 'user', summary: 'Your credit balance and low-credit threshold', responses: { 200: balance } })
  describe(r, {
    method: 'get', path: '/v1/credits/transactions', tag, auth: 'user', summary: 'The ledger of your credits, newest first',
    query: pageQuery, responses: { 200: pageOf(creditTransaction) },
  })
  describe(r, {
    method: 'put', path: '/v1/credits/threshold', tag, auth: 'user', summary: 'Set the balance below which you get a low-credit notice',
    body: thresholdBody, responses: { 200: balance },
  })
}
