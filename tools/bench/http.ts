/**
 * `npm run bench:http`: lowtide against the stacks a user would pick instead, same route
 * (GET /v1/users/:id with an API key: key lookup, then the user), same two statements, same pool
 * size, same Postgres, in rounds whose order rotates:
 *   bare Hono + pg.Pool · bare Hono + postgres.js · Hono + Drizzle ORM over pg.Pool ·
 *   lowtide on pg · lowtide on postgres.js (DB_DRIVER=postgres)
 * Prints req/s, p99 and server CPU time per request (and its user-time part) for each, the
 * connections each opened, each one's CPU per request relative to lowtide on pg, and the targets:
 *   bare Hono + pg ÷ lowtide on postgres.js ≥ 1.0, bare Hono + postgres.js ÷ lowtide on postgres.js ≥ 0.95
 * (CPU per request, best of rounds, and the median of the per-round ratios). CPU per request (from
 * /proc) is the steady number on a shared machine; wall-clock req/s swings far more.
 *
 * Each round sends a fixed number of requests and waits for every answer, so no request is cut off
 * mid-flight (a cut-off request cancels its statement and closes that connection, by design).
 *
 * Options: --rounds 5 --requests 15000 --connections 10 --pool 5
 *          --profile DIR   also write V8 CPU profiles of every server into DIR/<its application name>
 *          --only a,b      run only the sides whose application names are listed (e.g. a quiet profile
 *                          of bench-bare-postgres,bench-lowtide-postgres); the targets need all five
 */
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { fileURLToPath } from 'node:url'
import { generateApiKey } from '../../src/domain/accounts/api-keys.js'
import { migrateDatabase } from '../lib/migrations.js'
import { cpuTimesMs, startServerProcess, type ServerProcess } from '../lib/proc.js'
import { setUpBenchDatabase } from './database.js'

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '15000' },
    connections: { type: 'string', default: '10' },
    pool: { type: 'string', default: '5' },
    profile: { type: 'string' },
    only: { type: 'string' },
  },
})
const rounds = Number(opts.rounds)
const requestsPerRound = Number(opts.requests)
const connections = Number(opts.connections)
const poolMax = opts.pool!

interface Side {
  name: string
  appName: string
  server: ServerProcess
  runs: { rps: number; p99: number; cpuPerReqUs: number; userPerReqUs: number; newConnections: number; errors: number }[]
}

const stacks: [name: string, appName: string, script: string, extra?: Record<string, string>][] = [
  ['bare Hono + pg', 'bench-bare', './bare-server.ts'],
  ['bare Hono + postgres.js', 'bench-bare-postgres', './bare-postgres-server.ts'],
  ['Hono + Drizzle (pg)', 'bench-drizzle', './drizzle-server.ts'],
  ['lowtide on pg', 'bench-lowtide', '../lib/node-server-main.ts'],
  ['lowtide on postgres.js', 'bench-lowtide-postgres', '../lib/node-server-main.ts', { DB_DRIVER: 'postgres' }],
]
const only = opts.only?.split(',').map((s) => s.trim())
const unknown = only?.filter((a) => !stacks.some(([, appName]) => appName === a))
if (unknown?.length) {
  console.error(`bench:http: --only names no side ${unknown.join(', ')}; the sides are ${stacks.map(([, a]) => a).join(', ')}`)
  process.exit(2)
}

const database = await setUpBenchDatabase()
try {
  await migrateDatabase(database.url)
  const observer = new pg.Client({ connectionString: database.url, application_name: 'bench-observer' })
  await observer.connect()
  const { rows } = await observer.query<{ id: string }>(`INSERT INTO users (email, name) VALUES ('bench@example.com', 'Bench') ON CONFLICT DO NOTHING RETURNING id`)
  const userId = rows[0]?.id ?? (await observer.query<{ id: string }>(`SELECT id FROM users WHERE email = 'bench@example.com'`)).rows[0]!.id
  const key = generateApiKey()
  await observer.query(`INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, 'bench', $2, $3)`, [userId, key.prefix, key.hash])

  // Rate limits off: the baseline has none, and at their defaults (100 per 15 min) they would answer 429s.
  const env = (appName: string) => ({
    DATABASE_URL: database.url, DB_POOL_MAX: poolMax, DB_APPLICATION_NAME: appName, DB_IDLE_TIMEOUT_MS: '60000', LOG_LEVEL: 'warn',
    RATE_LIMIT_API: 'off',
  })
  const here = (f: string) => fileURLToPath(new URL(f, import.meta.url))
  // One folder per side: Node writes a profile per thread (tsx's loader runs in its own).
  const profileArgs = (name: string) => (opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}/${name}`] : [])
  const side = async (name: string, appName: string, script: string, extra: Record<string, string> = {}): Promise<Side> => ({
    name,
    appName,
    server: await startServerProcess(here(script), { ...env(appName), ...extra }, profileArgs(appName)),
    runs: [],
  })
  const sides: Side[] = []
  for (const [name, appName, script, extra] of stacks) if (!only || only.includes(appName)) sides.push(await side(name, appName, script, extra))
  const load = (side: Side, amount: number) =>
    // sampleInt: autocannon notices the last answer at its next sample tick; the default 1 s tick
    // would pad every round with up to a second of idle time.
    autocannon({ url: `http://127.0.0.1:${side.server.port}/v1/users/${userId}`, headers: { authorization: `Bearer ${key.key}` }, connections, amount, sampleInt: 50 })

  console.log(`bench:http  GET /v1/users/:id  pool ${poolMax}  ${connections} connections  ${rounds} rounds × ${requestsPerRound} requests per side`)
  for (const side of sides) await load(side, 5000) // warm-up: JIT, pool filled

  for (let round = 0; round < rounds; round++) {
    // Each round starts one further along, so no side always runs first (or right after the same neighbour).
    const order = sides.map((_, i) => sides[(i + round) % sides.length]!)
    for (const side of order) {
      const since = (await observer.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now
      const cpuBefore = cpuTimesMs(side.server.pid)
      const startedAt = performance.now()
      const result = await load(side, requestsPerRound)
      const elapsedS = (performance.now() - startedAt) / 1000
      const cpuAfter = cpuTimesMs(side.server.pid)
      const userMs = cpuAfter.user - cpuBefore.user
      const cpuMs = userMs + cpuAfter.system - cpuBefore.system
      const opened = await observer.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND backend_start > $2`,
        [side.appName, since],
      )
      const ok = result.requests.total - result.non2xx
      side.runs.push({
        // Total over elapsed time: autocannon's per-second figures are coarse for runs of a few seconds.
        rps: result.requests.total / elapsedS,
        p99: result.latency.p99,
        cpuPerReqUs: ok > 0 ? (cpuMs * 1000) / ok : Number.NaN,
        userPerReqUs: ok > 0 ? (userMs * 1000) / ok : Number.NaN,
        newConnections: opened.rows[0]!.n,
        errors: result.errors + result.non2xx,
      })
      const last = side.runs.at(-1)!
      console.log(
        `  round ${round + 1}  ${side.name.padEnd(24)} ${last.rps.toFixed(0).padStart(6)} req/s  p99 ${String(last.p99).padStart(4)} ms  cpu/req ${last.cpuPerReqUs.toFixed(1).padStart(6)} µs (user ${last.userPerReqUs.toFixed(1).padStart(6)})  new conns ${last.newConnections}  errors ${last.errors}`,
      )
    }
  }

  const best = (s: Side) => ({
    cpu: Math.min(...s.runs.map((r) => r.cpuPerReqUs)),
    rps: Math.max(...s.runs.map((r) => r.rps)),
    p99: Math.min(...s.runs.map((r) => r.p99)),
    newConnections: s.runs.reduce((n, r) => n + r.newConnections, 0),
    errors: s.runs.reduce((n, r) => n + r.errors, 0),
  })
  const bests = sides.map(best)
  const byName = (name: string) => sides.findIndex((x) => x.name === name)
  const referenceName = byName('lowtide on pg') >= 0 ? 'lowtide on pg' : sides[0]!.name
  const reference = bests[byName(referenceName)]!.cpu
  console.log(`\nbest of rounds              req/s     p99    CPU/request   vs ${referenceName.padEnd(16)} new connections (all rounds)   errors`)
  sides.forEach((side, i) => {
    const b = bests[i]!
    console.log(`  ${side.name.padEnd(24)} ${b.rps.toFixed(0).padStart(6)}  ${String(b.p99).padStart(4)} ms  ${b.cpu.toFixed(1).padStart(7)} µs   ${(b.cpu / reference).toFixed(2).padStart(8)}×   ${String(b.newConnections).padStart(12)}   ${String(b.errors).padStart(20)}`)
  })
  // Each round's runs sit next to each other in time, so their ratio shares that moment's noise;
  // the median of those is a second, drift-resistant view of the same comparison.
  const target = (baseline: string, subject: string, goal: number) => {
    const [bi, si] = [byName(baseline), byName(subject)]
    if (bi < 0 || si < 0) return // not in this run (--only)
    const ratio = bests[bi]!.cpu / bests[si]!.cpu
    const paired = sides[bi]!.runs.map((r, i) => r.cpuPerReqUs / sides[si]!.runs[i]!.cpuPerReqUs).sort((a, b) => a - b)
    const median = paired[Math.floor(paired.length / 2)]!
    console.log(`ratio: ${baseline} ÷ ${subject} = ${ratio.toFixed(3)} best, ${median.toFixed(3)} median of rounds (${paired.map((r) => r.toFixed(3)).join(' ')}); target ≥ ${goal} → ${ratio >= goal ? 'met' : 'NOT met'}`)
  }
  console.log('')
  target('bare Hono + pg', 'lowtide on postgres.js', 1.0)
  target('bare Hono + postgres.js', 'lowtide on postgres.js', 0.95)
  target('bare Hono + pg', 'lowtide on pg', 0.95)

  await observer.end()
  await Promise.all(sides.map((s) => s.server.stop()))
} finally {
  await database.stop()
}
