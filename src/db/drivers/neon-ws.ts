/**
 * Neon's serverless driver over WebSocket (`DB_DRIVER=neon-ws`): a `pg`-compatible Client per
 * request, opened lazily and closed when the request ends (on Workers through `ctx.waitUntil`),
 * never reused across requests — a Worker request opens at most this one connection. Interactive
 * transactions work as with `pg`. A statement is cancelled with `pg_cancel_backend` over a second,
 * short connection (there is no raw TCP for the cancel protocol here).
 */
import type pg from 'pg'
import type { DbConfig } from '../../config/runtime.js'
import type { ConnectionSource, PgClientLike } from '../types.js'
import { createPerRequestSource, type ClientFactory } from './per-request.js'
import type { PgSourceOptions } from './pg-options.js'
import { loadNeonDriver } from './neon-driver.js'

async function neonClient(options: pg.ClientConfig, neon: DbConfig['neon']): Promise<pg.Client> {
  const { Client: NeonClient } = await loadNeonDriver()
  const client = new NeonClient(options as ConstructorParameters<typeof NeonClient>[0])
  if (neon.wsProxy) {
    const template = neon.wsProxy
    client.neonConfig.wsProxy = (host: string, port: number | string) => template.replace('{host}', host).replace('{port}', String(port))
  }
  if (neon.insecure) {
    // A local proxy in development and tests: plain ws://, and no TLS or pipelining inside it.
    client.neonConfig.useSecureWebSocket = false
    client.neonConfig.pipelineTLS = false
    client.neonConfig.pipelineConnect = false
  }
  return client as unknown as pg.Client
}

export function createNeonWsSource(options: PgSourceOptions): ConnectionSource {
  const neon = options.db.neon
  const factory: ClientFactory = {
    create: (clientOptions) => neonClient(clientOptions, neon),
    async cancel(clientOptions, client: PgClientLike) {
      if (client.processID == null) return
      let canceller: pg.Client | undefined
      try {
        canceller = await neonClient(clientOptions, neon)
        await canceller.connect()
        await canceller.query('SELECT pg_cancel_backend($1)', [client.processID])
      } catch {
        // Best effort: the scope closes the connection anyway, which ends the statement too.
      } finally {
        await canceller?.end().catch(() => undefined)
      }
    },
  }
  return createPerRequestSource({ ...options, name: options.name ?? 'neon-ws' }, factory)
}
