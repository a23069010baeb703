/**
 * `npm run bench:edge`: the real Worker bundle in workerd (Miniflare), once per way to Postgres,
 * answering the same request (GET /v1/users/:id with an API key: key lookup, then the user)
 * against the same Postgres, in alternating rounds. Prints req/s, p50 and p99 side by side, and the
 * Worker connections left in pg_stat_activity after each round (target 0).
 *
 *   pg per request     `pg` over TCP (`cloudflare:sockets`), a connection opened and closed per request
 *   postgres.js        DB_DRIVER=postgres: postgres.js over `cloudflare:sockets`, a connection per request
 *   neon-ws            Neon's driver over WebSocket, through a local WebSocket-to-TCP proxy
 *   hyperdrive-local   a Hyperdrive binding as `wrangler dev` runs it: Miniflare's local Hyperdrive,
 *                      which connects straight to the database (no pooling, no query cache)
 *   neon-http          single statements over SQL-over-HTTP, against lowtide's local stand-in for
 *                      Neon's endpoint (tools/lib/neon-http-server.ts; a connection per HTTP request)
 *
 * Local numbers compare the drivers' own costs (handshakes, protocol round trips, CPU in workerd);
 * in production, network distance to the database dominates, and real Hyperdrive pools connections
 * near the database. Options: --rounds 3 --requests 1500 --connections 10
 */
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { Miniflare } from 'miniflare'
import pg from 'pg'
import { generateApiKey } from '../../src/domain/accounts/api-keys.js'
import { buildWorker, WORKER_BUNDLE } from '../build-worker.js'
import { migrateDatabase } from '../lib/migrations.js'
import { startNeonHttpServer } from '../lib/neon-http-server.js'
import { startNeonProxy } from '../lib/neon-proxy.js'
import { setUpBenchDatabase } from './database.js'

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '1500' },
    connections: { type: 'string', default: '10' },
  },
})
const rounds = Number(opts.rounds)
const requestsPerRound = Number(opts.requests)
const connections = Number(opts.connections)

interface Run {
  rps: number
  p50: number
  p99: number
  errors: number
  leftOpen: number
  webSockets: number
  httpStatements: number
}
interface Side {
  name: string
  appName: string
  mf: Miniflare
  url: URL
  runs: Run[]
}

const database = await setUpBenchDatabase()
const proxy = await startNeonProxy()
const httpServer = await startNeonHttpServer()
const sides: Side[] = []
try {
  await migrateDatabase(database.url)
  const observer = new pg.Client({ connectionString: database.url, application_name: 'bench-observer' })
  await observer.connect()
  const { rows } = await observer.query<{ id: string }>(`INSERT INTO users (email, name) VALUES ('edge@example.com', 'Edge') ON CONFLICT DO NOTHING RETURNING id`)
  const userId = rows[0]?.id ?? (await observer.query<{ id: string }>(`SELECT id FROM users WHERE email = 'edge@example.com'`)).rows[0]!.id
  const key = generateApiKey()
  await observer.query(`INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, 'edge', $2, $3)`, [userId, key.prefix, key.hash])

  const { gzip } = buildWorker()
  const common = {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_API: 'off',
    // The test Postgres asks for SCRAM; under load some handshakes queue behind others.
    DB_CONNECT_TIMEOUT_MS: '10000',
  }
  const drivers: { name: string; bindings: Record<string, string>; hyperdrive?: boolean }[] = [
    { name: 'pg per request', bindings: { DATABASE_URL: database.url } },
    { name: 'postgres.js per request', bindings: { DATABASE_URL: database.url, DB_DRIVER: 'postgres' } },
    { name: 'neon-ws', bindings: { DATABASE_URL: database.url, DB_DRIVER: 'neon-ws', NEON_WS_PROXY: proxy.template, NEON_WS_INSECURE: '1' } },
    { name: 'hyperdrive-local', bindings: {}, hyperdrive: true },
    {
      name: 'neon-http',
      bindings: { DATABASE_URL: database.url, DB_DRIVER: 'neon-http', NEON_HTTP_ENDPOINT: httpServer.endpoint, NEON_WS_PROXY: proxy.template, NEON_WS_INSECURE: '1' },
    },
  ]
  for (const driver of drivers) {
    const appName = `bench-edge-${driver.name.replaceAll(' ', '-')}`
    const mf = new Miniflare({
      modules: true,
      scriptPath: WORKER_BUNDLE,
      compatibilityDate: '2026-04-20',
      compatibilityFlags: ['nodejs_compat'],
      bindings: { ...common, ...driver.bindings, DB_APPLICATION_NAME: appName },
      ...(driver.hyperdrive ? { hyperdrives: { HYPERDRIVE: database.url } } : {}),
    })
    sides.push({ name: driver.name, appName, mf, url: await mf.ready, runs: [] })
  }

  const load = (side: Side, amount: number) =>
    autocannon({ url: new URL(`/v1/users/${userId}`, side.url).toString(), headers: { authorization: `Bearer ${key.key}` }, connections, amount, sampleInt: 50 })

  console.log(`bench:edge  GET /v1/users/:id in workerd  worker bundle ${(gzip / 1024).toFixed(0)} KiB gzip  ${connections} connections  ${rounds} rounds × ${requestsPerRound} requests per driver`)
  for (const side of sides) await load(side, 200) // warm-up

  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) {
      const before = { ws: proxy.connections, http: httpServer.requests }
      const startedAt = performance.now()
      const result = await load(side, requestsPerRound)
      const elapsedS = (performance.now() - startedAt) / 1000
      const leftOpen = await connectionsAfterSettling(observer, side.appName)
      side.runs.push({
        rps: result.requests.total / elapsedS,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.non2xx,
        leftOpen,
        webSockets: proxy.connections - before.ws,
        httpStatements: httpServer.requests - before.http,
      })
      const last = side.runs.at(-1)!
      console.log(
        `  round ${round + 1}  ${side.name.padEnd(17)} ${last.rps.toFixed(0).padStart(6)} req/s  p50 ${String(last.p50).padStart(4)} ms  p99 ${String(last.p99).padStart(4)} ms  errors ${last.errors}  left open ${last.leftOpen}`,
      )
    }
  }

  console.log('\nbest of rounds        req/s    p50     p99   errors   left open   WebSockets/request   HTTP statements/request')
  for (const side of sides) {
    const rps = Math.max(...side.runs.map((r) => r.rps))
    const p50 = Math.min(...side.runs.map((r) => r.p50))
    const p99 = Math.min(...side.runs.map((r) => r.p99))
    const errors = side.runs.reduce((n, r) => n + r.errors, 0)
    const left = Math.max(...side.runs.map((r) => r.leftOpen))
    const perRequest = (pick: (r: Run) => number) => (side.runs.reduce((n, r) => n + pick(r), 0) / (side.runs.length * requestsPerRound)).toFixed(2)
    console.log(
      `  ${side.name.padEnd(18)} ${rps.toFixed(0).padStart(6)}  ${String(p50).padStart(4)} ms  ${String(p99).padStart(4)} ms  ${String(errors).padStart(6)}   ${String(left).padStart(9)}   ${perRequest((r) => r.webSockets).padStart(18)}   ${perRequest((r) => r.httpStatements).padStart(23)}`,
    )
  }
  console.log(
    '\nEvery connection here authenticates with SCRAM-SHA-256 against the local Postgres, which dominates a\n' +
      'per-request connection: Neon\'s driver computes it as 4 096 WebCrypto calls. Neon\'s own endpoints skip it\n' +
      '(the password goes inside TLS), and real Hyperdrive keeps connections warm, so production ranks differ.',
  )
  await observer.end()
} finally {
  for (const side of sides) await side.mf.dispose()
  await proxy.stop()
  await httpServer.stop()
  await database.stop()
}

/** The Worker's connections still in pg_stat_activity once closes in flight (`waitUntil`) have landed: at most 2 s. */
async function connectionsAfterSettling(observer: pg.Client, appName: string): Promise<number> {
  const deadline = performance.now() + 2000
  for (;;) {
    const { rows } = await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [appName])
    if (rows[0]!.n === 0 || performance.now() > deadline) return rows[0]!.n
    await new Promise((r) => setTimeout(r, 50))
  }
}
