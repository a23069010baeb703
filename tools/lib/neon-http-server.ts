/**
 * A local stand-in for Neon's SQL-over-HTTP endpoint, so `DB_DRIVER=neon-http` can run against the
 * test Postgres. It speaks the protocol as Neon's driver sends it (`POST /sql`, the
 * `Neon-Connection-String` header, `{query, params}` or `{queries: […]}`, raw text values in array
 * mode, 400 + the Postgres error fields) and answers from a real Postgres — but it is ours, written
 * from the driver's side: a way Neon's real server differs would not show here.
 *
 * Each HTTP request gets its own connection, closed before the response goes out, so "the app holds
 * no connection after the request" stays checkable in `pg_stat_activity`. A request whose caller
 * goes away has its statement cancelled. Whether Neon's own endpoint cancels on an aborted fetch is
 * Neon's behaviour, not shown here.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'

export interface NeonHttpServer {
  /** For NEON_HTTP_ENDPOINT. */
  endpoint: string
  /** HTTP requests answered so far. */
  readonly requests: number
  stop(): Promise<void>
}

interface WireQuery {
  query: string
  params: (string | null)[]
}

const rawText = { getTypeParser: () => (value: string) => value }

export async function startNeonHttpServer(): Promise<NeonHttpServer> {
  let requests = 0
  const server = http.createServer((req, res) => {
    requests++
    void answer(req, res).then(({ status, body }) => {
      if (res.destroyed) return
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}/sql`,
    get requests() {
      return requests
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<{ status: number; body: unknown }> {
  const connectionString = req.headers['neon-connection-string']
  if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/sql' || typeof connectionString !== 'string') {
    return { status: 404, body: { message: 'POST /sql with a Neon-Connection-String header' } }
  }
  if (req.headers['neon-array-mode'] !== 'true' || req.headers['neon-raw-text-output'] !== 'true') {
    return { status: 400, body: { message: 'this server answers only in array mode with raw text output, as the driver asks' } }
  }
  const client = new pg.Client({ connectionString })
  // A connection lost mid-statement fails that statement (answered below); the client's own
  // 'error' event must not take the process down, as Neon's endpoint would not go down either.
  client.on('error', () => undefined)
  // The caller went away (an aborted fetch): cancel what it asked for, as a well-behaved proxy would.
  res.once('close', () => {
    if (!res.writableFinished) void cancel(connectionString, client)
  })
  try {
    const payload = JSON.parse(await readBody(req)) as WireQuery | { queries: WireQuery[] }
    await client.connect()
    if ('queries' in payload) return { status: 200, body: { results: await runBatch(client, payload.queries, req.headers) } }
    return { status: 200, body: await run(client, payload) }
  } catch (err) {
    return errorAnswer(err)
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function cancel(connectionString: string, client: pg.Client): Promise<void> {
  const pid = (client as unknown as { processID?: number }).processID
  if (pid === undefined) return
  const canceller = new pg.Client({ connectionString })
  canceller.on('error', () => undefined)
  try {
    await canceller.connect()
    await canceller.query('SELECT pg_cancel_backend($1)', [pid])
  } catch {
    // Best effort, as the statement ends with its connection anyway.
  } finally {
    await canceller.end().catch(() => undefined)
  }
}

async function runBatch(client: pg.Client, queries: WireQuery[], headers: http.IncomingHttpHeaders): Promise<unknown[]> {
  const mode = [
    headers['neon-batch-isolation-level'] ? `ISOLATION LEVEL ${isolation(String(headers['neon-batch-isolation-level']))}` : '',
    headers['neon-batch-read-only'] === 'true' ? 'READ ONLY' : '',
    headers['neon-batch-deferrable'] === 'true' ? 'DEFERRABLE' : '',
  ].join(' ')
  await client.query(`BEGIN ${mode}`)
  try {
    const results = []
    for (const query of queries) results.push(await run(client, query))
    await client.query('COMMIT')
    return results
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

function isolation(level: string): string {
  const known: Record<string, string> = {
    ReadUncommitted: 'READ UNCOMMITTED',
    ReadCommitted: 'READ COMMITTED',
    RepeatableRead: 'REPEATABLE READ',
    Serializable: 'SERIALIZABLE',
  }
  const sql = known[level]
  if (!sql) throw Object.assign(new Error(`unknown isolation level ${level}`), { code: '22023' })
  return sql
}

async function run(client: pg.Client, { query, params }: WireQuery) {
  const result = await client.query({ text: query, values: params, rowMode: 'array', types: rawText })
  return {
    command: result.command,
    rowCount: result.rowCount,
    fields: result.fields.map(({ name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format }) => ({
      name,
      tableID,
      columnID,
      dataTypeID,
      dataTypeSize,
      dataTypeModifier,
      format,
    })),
    rows: result.rows,
  }
}

const errorFields = ['severity', 'code', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'dataType', 'constraint'] as const

function errorAnswer(err: unknown): { status: number; body: unknown } {
  const e = err as Record<string, unknown> & Error
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return { status: 500, body: { message: e.message } }
  return { status: 400, body: Object.fromEntries([['message', e.message], ...errorFields.map((f) => [f, e[f]])]) }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
