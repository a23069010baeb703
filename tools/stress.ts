/**
 * `npm run stress -- --requests 50 --waves 10 --delay 1000 --endpoint /readyz --base-url http://127.0.0.1:8787`
 *   [--concurrency n] [--method GET] [--body JSON] [--token T] [--settle ms] [--out DIR]
 *
 * Sends waves of concurrent requests, shows progress, and reports per wave and overall: status
 * counts, errors, p50/p95/p99/max latency. Reads `/readyz` (with --token) before, after each wave and
 * after a settle time, and gives a verdict on leaks: requests still waiting for a connection, or
 * connections still checked out, once the load is over. Writes report.json and an SVG latency plot per
 * wave. Exit code 1 on errors or leaks. Bounded: waves × requests, nothing more.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { latencySvg } from './lib/stress/plot.js'

const { values: o } = parseArgs({
  options: {
    requests: { type: 'string', default: '50' },
    waves: { type: 'string', default: '10' },
    delay: { type: 'string', default: '1000' },
    endpoint: { type: 'string', default: '/readyz' },
    'base-url': { type: 'string' },
    concurrency: { type: 'string' },
    method: { type: 'string', default: 'GET' },
    body: { type: 'string' },
    token: { type: 'string', default: process.env.OPS_TOKEN },
    settle: { type: 'string', default: '12000' },
    out: { type: 'string' },
  },
})

const requests = Number(o.requests)
const waves = Number(o.waves)
const concurrency = Number(o.concurrency ?? o.requests)
const baseUrl = new URL(o['base-url'] ?? 'http://127.0.0.1:8787')
if (!o['base-url'] && !['127.0.0.1', 'localhost', '[::1]'].includes(baseUrl.hostname)) throw new Error('only loopback without --base-url')
for (const [name, v, max] of [['requests', requests, 10_000], ['waves', waves, 1000], ['concurrency', concurrency, 1000]] as const) {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    console.error(`stress: --${name} must be an integer from 1 to ${max}`)
    process.exit(2)
  }
}
const outDir = o.out ?? path.join('stress-report', new Date().toISOString().replace(/[:.]/g, '-'))
const auth: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {}

interface Sample { ms: number; status: number | null; error?: string }
interface Readiness { at: string; status: number; pools?: { total: number; idle: number; waiting: number; max: number }[]; connections?: { total: number } }

async function readiness(): Promise<Readiness> {
  try {
    const res = await fetch(new URL('/readyz', baseUrl), { headers: auth })
    const body = (await res.json()) as Omit<Readiness, 'at' | 'status'>
    return { at: new Date().toISOString(), status: res.status, pools: body.pools, connections: body.connections }
  } catch (err) {
    return { at: new Date().toISOString(), status: 0 }
  }
}

async function one(): Promise<Sample> {
  const started = performance.now()
  try {
    const res = await fetch(new URL(o.endpoint!, baseUrl), {
      method: o.method,
      headers: { ...auth, ...(o.body ? { 'content-type': 'application/json' } : {}) },
      body: o.body,
      signal: AbortSignal.timeout(60_000),
    })
    await res.arrayBuffer()
    return { ms: performance.now() - started, status: res.status }
  } catch (err) {
    return { ms: performance.now() - started, status: null, error: (err as Error).message }
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
function summary(samples: Sample[]) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b)
  const statuses: Record<string, number> = {}
  for (const s of samples) statuses[s.status ?? 'error'] = (statuses[s.status ?? 'error'] ?? 0) + 1
  const errors = samples.filter((s) => s.status === null || s.status >= 500).length
  const round = (n: number) => Math.round(n * 10) / 10
  return { requests: samples.length, statuses, errors, latencyMs: { p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)), p99: round(percentile(sorted, 0.99)), max: round(sorted.at(-1) ?? 0) } }
}

function progress(done: number, total: number, wave: number) {
  const width = 30
  const filled = Math.round((done / total) * width)
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] wave ${wave}/${waves}  ${done}/${total} requests`
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`)
  else if (done % requests === 0) process.stderr.write(`${line}\n`)
}

fs.mkdirSync(outDir, { recursive: true })
const before = await readiness()
const during: Readiness[] = []
const waveReports = []
const all: Sample[] = []
let completed = 0
for (let w = 1; w <= waves; w++) {
  const samples: Sample[] = new Array(requests)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, requests) }, async () => {
      for (let i = next++; i < requests; i = next++) {
        samples[i] = await one()
        progress(++completed, requests * waves, w)
      }
    }),
  )
  all.push(...samples)
  during.push(await readiness())
  const report = { wave: w, ...summary(samples) }
  waveReports.push(report)
  fs.writeFileSync(path.join(outDir, `wave-${String(w).padStart(2, '0')}.svg`), latencySvg(`${o.method} ${o.endpoint} — wave ${w}: p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms`, samples.map((s) => s.ms), samples.map((s) => s.status === null || s.status >= 500)))
  if (w < waves) await new Promise((r) => setTimeout(r, Number(o.delay)))
}
if (process.stderr.isTTY) process.stderr.write('\n')

// After the load: give the pool its idle timeout, then look again.
await new Promise((r) => setTimeout(r, Number(o.settle)))
const after = await readiness()
const reasons: string[] = []
const pool = after.pools?.[0]
if (!pool) reasons.push(`/readyz unreadable after the run (status ${after.status}): pass --token`)
else {
  if (pool.waiting > 0) reasons.push(`${pool.waiting} request(s) still waiting for a connection`)
  if (pool.total - pool.idle > 0) reasons.push(`${pool.total - pool.idle} connection(s) still checked out with no request running`)
}
const baseline = before.connections?.total
if (baseline !== undefined && after.connections && after.connections.total > Math.max(baseline, 1)) {
  reasons.push(`server connections ${after.connections.total}, baseline ${baseline}, after ${o.settle} ms`)
}
const overall = summary(all)
const result = {
  config: { baseUrl: baseUrl.toString(), endpoint: o.endpoint, method: o.method, requests, waves, delayMs: Number(o.delay), concurrency, settleMs: Number(o.settle) },
  waves: waveReports,
  overall,
  pool: { before, during, after },
  verdict: { errors: overall.errors, leaks: reasons.length > 0, reasons },
}
fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(result, null, 2))

for (const wr of waveReports) {
  console.log(`wave ${String(wr.wave).padStart(2)}  ${Object.entries(wr.statuses).map(([s, n]) => `${s}×${n}`).join(' ').padEnd(16)} errors ${wr.errors}  p50 ${wr.latencyMs.p50} ms  p95 ${wr.latencyMs.p95} ms  p99 ${wr.latencyMs.p99} ms  max ${wr.latencyMs.max} ms`)
}
console.log(`overall  ${overall.requests} requests  ${Object.entries(overall.statuses).map(([s, n]) => `${s}×${n}`).join(' ')}  errors ${overall.errors}  p50 ${overall.latencyMs.p50} ms  p99 ${overall.latencyMs.p99} ms  max ${overall.latencyMs.max} ms`)
const fmt = (r: Readiness) => (r.pools?.[0] ? `pool ${r.pools[0].total - r.pools[0].idle}/${r.pools[0].total} busy, ${r.pools[0].waiting} waiting; server connections ${r.connections?.total ?? '?'}` : `unavailable (${r.status})`)
console.log(`readyz   before: ${fmt(before)}\n         peak:   ${during.map((d) => d.connections?.total ?? 0).reduce((a, b) => Math.max(a, b), 0)} server connections\n         after:  ${fmt(after)}`)
console.log(`verdict  ${overall.errors ? `${overall.errors} errors` : '0 errors'}, ${reasons.length ? `LEAK: ${reasons.join('; ')}` : 'no leaks'}`)
console.log(`report   ${path.join(outDir, 'report.json')} and ${waves} latency plots`)
process.exit(overall.errors > 0 || reasons.length > 0 ? 1 : 0)
