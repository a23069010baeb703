/**
 * `DB_DRIVER=neon-http`: Neon's SQL over HTTP (`neon()`) for what needs no session — a single
 * statement, or a batch of independent statements in one non-interactive transaction — and a
 * `neon-ws` connection, opened on demand, for interactive transactions and `withClient`.
 *
 * A request whose work is single statements (most of this API) opens no database connection at
 * all: each statement is one HTTPS round trip, with no WebSocket and no authentication handshake.
 * Once a request holds a connection, its later statements use it (its session wins).
 */
import type { FullQueryResults, NeonQueryFunction } from '@neondatabase/serverless'
import { DbUnavailableError, sqlState } from '../errors.js'
import type { ConnectionSource, QueryResult, QueryResultRow, Statement, StatementChannel } from '../types.js'
import { loadNeonDriver, type NeonDriver } from './neon-driver.js'
import { createNeonWsSource } from './neon-ws.js'
import type { PgSourceOptions } from './pg-options.js'

export function createNeonHttpSource(options: PgSourceOptions): ConnectionSource {
  const connections = createNeonWsSource({ ...options, name: options.name ?? 'neon-http' })
  return { ...connections, statements: createNeonHttpChannel(options) }
}

export function createNeonHttpChannel({ db, connectionString }: PgSourceOptions): StatementChannel {
  const template = db.neon.httpEndpoint
  const url = withApplicationName(connectionString, db.applicationName)
  let ready: Promise<{ driver: NeonDriver; sql: NeonQueryFunction<false, true> }> | undefined
  const load = () =>
    (ready ??= loadNeonDriver().then((driver) => {
      // Global in Neon's driver (one endpoint per process); Neon's own endpoint when unset.
      if (template) driver.neonConfig.fetchEndpoint = (host, port) => template.replaceAll('{host}', host).replaceAll('{port}', String(port))
      return { driver, sql: driver.neon(url, { fullResults: true }) }
    }))

  return {
    async query<R extends QueryResultRow>(text: string, params: readonly unknown[] | undefined, signal: AbortSignal) {
      const { driver, sql } = await load()
      const result = await overHttp(driver, () => sql.query(text, params ? [...params] : [], { fetchOptions: { signal } }))
      return asQueryResult<R>(result)
    },
    async batch(statements: readonly Statement[], signal: AbortSignal) {
      const { driver, sql } = await load()
      const queries = statements.map(({ text, params }) => sql.query(text, params ? [...params] : []))
      const results = await overHttp(driver, () => sql.transaction(queries, { fetchOptions: { signal } }))
      return results.map((r) => asQueryResult(r))
    },
  }
}

/** Postgres errors (a SQLSTATE) go to the caller as they are; anything else means the database could not be reached. */
async function overHttp<T>(driver: NeonDriver, request: () => Promise<T>): Promise<T> {
  try {
    return await request()
  } catch (err) {
    if (err instanceof driver.NeonDbError && sqlState(err) !== undefined) throw err
    throw new DbUnavailableError('connect_failed', `database over HTTP: ${(err as Error).message}`, 1, { cause: err })
  }
}

/** The same shape `pg` returns, so repositories cannot tell the drivers apart. */
function asQueryResult<R extends QueryResultRow>(result: FullQueryResults<false>): QueryResult<R> {
  return {
    command: result.command,
    rowCount: result.rowCount,
    oid: 0,
    fields: result.fields,
    rows: result.rows as R[],
  }
}

/** Neon's driver names itself in `application_name` unless the connection string already does. */
function withApplicationName(connectionString: string, applicationName: string): string {
  const url = new URL(connectionString)
  if (!url.searchParams.has('application_name')) url.searchParams.set('application_name', applicationName)
  return url.toString()
}
