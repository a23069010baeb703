import { Hono } from 'hono'
import { decodeCursor, keyset, pageQuery, toPage } from '../../http/pagination.js'
import type { AppEnv } from '../env.js'
import { validate } from '../../http/validate.js'
import type { Authentication } from '../accounts/authenticate.js'
import { listTransactions } from './repo.js'
import { thresholdBody } from './schema.js'
import { getBalance, setLowCreditThreshold } from './service.js'

/** `/v1/credits`: your balance, its ledger, your low-credit threshold. */
export function creditRoutes({ auth }: { auth: Authentication }) {
  return new Hono<AppEnv>()
    .use('*', auth.user)
    .get('/', async (c) => c.json(await getBalance(c.get('db'), c.get('user').id)))
    .get('/transactions', validate('query', pageQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query')
      const page = keyset(decodeCursor(cursor), 2, { idType: 'bigint' })
      return c.json(toPage(await listTransactions(c.get('db'), c.get('user').id, page.where, page.params, limit), limit))
    })
    .put('/threshold', validate('json', thresholdBody), async (c) => {
      return c.json(await setLowCreditThreshold(c.get('db'), c.get('user').id, c.req.valid('json').threshold))
    })
}
