import { pageOf } from '../../http/docs-shapes.js'
import { openApiApp, route } from '../../http/openapi.js'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { Authentication } from '../accounts/authenticate.js'
import type { AppEnv } from '../env.js'
import { listTransactions } from './repo.js'
import { balance, creditTransaction, thresholdBody } from './schema.js'
import { getBalance, setLowCreditThreshold } from './service.js'

const tag = 'credits'

/** `/v1/credits`: your balance, its ledger, your low-credit threshold. */
export function creditRoutes({ auth }: { auth: Authentication }) {
  const app = openApiApp<AppEnv>()
  app.use('*', auth.user)
  app.openapi(route({ method: 'get', path: '/', tag, auth: 'user', summary: 'Your credit balance and low-credit threshold', responses: { 200: balance } }), async (c) =>
    c.json(await getBalance(c.get('db'), c.get('user').id), 200),
  )
  app.openapi(
    route({ method: 'get', path: '/transactions', tag, auth: 'user', summary: 'The ledger of your credits, newest first', query: pageQuery, responses: { 200: pageOf(creditTransaction) } }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 2, { idType: 'bigint' })
      return c.json(toPage(await listTransactions(c.get('db'), c.get('user').id, page.where, page.params, limit), limit), 200)
    },
  )
  app.openapi(
    route({ method: 'put', path: '/threshold', tag, auth: 'user', summary: 'Set the balance below which you get a low-credit notice', body: thresholdBody, responses: { 200: balance } }),
    async (c) => c.json(await setLowCreditThreshold(c.get('db'), c.get('user').id, c.req.valid('json').threshold), 200),
  )
  return app
}
