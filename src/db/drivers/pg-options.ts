import pg from 'pg'
import type { DbConfig } from '../../config/runtime.js'
import type { Logger } from '../../logger.js'
import type { PgClientLike } from '../types.js'

/** What both `pg` drivers are built from. */
export interface PgSourceOptions {
  db: DbConfig
  connectionString: string
  logger: Logger
  /** Shown in stats and warnings. */
  name?: string
}

/**
 * `pg` client options shared by both drivers. A transaction-mode pooler refuses startup parameters
 * it does not know (PgBouncer: `unsupported startup parameter: statement_timeout`) and would not
 * keep them on its server connections anyway: only `application_name`, which poolers carry.
 */
export function pgClientOptions(db: DbConfig, connectionString: string): pg.ClientConfig {
  return {
    connectionString,
    application_name: db.applicationName,
    connectionTimeoutMillis: db.connectTimeoutMs,
    ...(db.pooler === 'none' && db.statementTimeoutMs > 0 ? { statement_timeout: db.statementTimeoutMs } : {}),
  }
}

/** The statement timeout the request scope enforces itself (SET LOCAL, cancel): wherever it cannot be a startup parameter. */
export const clientStatementTimeoutMs = (db: DbConfig): number => (db.pooler === 'none' ? 0 : db.statementTimeoutMs)

/**
 * Cancel whatever `client` is running, with PostgreSQL's cancel request: a separate short-lived
 * socket carrying the backend's pid and secret key. It needs no pooled connection, so it works
 * when the pool is exhausted, and `pg` opens it with the platform's socket (Node or Workers).
 * Bounded by the connect timeout: on a network that holds every byte, the caller (a request scope
 * giving its connection back) must not wait for the server's answer forever.
 */
export function cancelRunningStatement(options: pg.ClientConfig, client: Pick<PgClientLike, 'processID' | 'secretKey'>): Promise<void> {
  if (client.processID == null || client.secretKey == null) return Promise.resolve()
  const { processID, secretKey } = client
  const canceller = new pg.Client(options)
  // `connection` is pg's wire-protocol object; `cancel()` sends CancelRequest once the socket is up.
  const con = (canceller as unknown as { connection: CancelConnection }).connection
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      con.stream?.destroy()
      done()
    }, options.connectionTimeoutMillis || 2000)
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    con.once('connect', () => con.cancel(processID, secretKey))
    con.once('end', done)
    con.once('error', done)
    const { host, port } = canceller as unknown as { host: string; port: number }
    if (host.startsWith('/')) con.connect(`${host}/.s.PGSQL.${port}`)
    else con.connect(port, host)
  })
}

interface CancelConnection {
  stream?: { destroy(): void }
  once(event: 'connect' | 'end' | 'error', fn: () => void): void
  connect(portOrPath: number | string, host?: string): void
  cancel(processID: number, secretKey: number): void
}
