/**
 * `npm run bench:lambda [-- --runs 15]`: the cold start of each Lambda artifact, side by side with a
 * hand-written Hono + pg Lambda bundled the same way. Each run is a fresh Node process (what a new
 * execution environment is) that imports the bundle and answers one API Gateway `GET /health`
 * (the sqs-consumer: one empty SQS batch); runs of the three are interleaved, so machine noise
 * falls on all of them alike. Prints medians and the ratios to the baseline. Use the Node that
 * Lambda runs (24): `PATH=<node 24>/bin:$PATH npm run bench:lambda`.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { buildLambdas, LAMBDA_NODE_TARGET, LAMBDA_OUT_DIR, ROOT } from '../build-lambda.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } })
const runs = Math.max(3, Math.min(200, Number(values.runs) || 15))

const artifacts = await buildLambdas()
const baseline = path.join(LAMBDA_OUT_DIR, 'bench-bare', 'bare.mjs')
await build({
  entryPoints: [path.join(ROOT, 'tools/bench/bare-lambda.ts')],
  outfile: baseline,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: LAMBDA_NODE_TARGET,
  minify: true,
  banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
  external: ['pg-native'],
  logLevel: 'warning',
})

const httpEvent = JSON.stringify({
  version: '2.0', routeKey: '$default', rawPath: '/health', rawQueryString: '', headers: { host: 'abc.execute-api.eu-west-1.amazonaws.com' },
  requestContext: { accountId: '1', apiId: 'abc', domainName: 'abc.execute-api.eu-west-1.amazonaws.com', domainPrefix: 'abc', http: { method: 'GET', path: '/health', protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'bench' }, requestId: 'r', routeKey: '$default', stage: '$default', time: '01/Jan/2026:00:00:00 +0000', timeEpoch: 0 },
  isBase64Encoded: false,
})
const subjects = [
  { name: 'bare Hono + pg (baseline)', bundle: baseline, event: httpEvent },
  ...artifacts.map((a) => ({ name: `lowtide ${a.name}`, bundle: a.bundle, event: a.name === 'api' ? httpEvent : JSON.stringify({ Records: [] }) })),
]

// One cold start, measured inside the fresh process: import, then the first invocation.
const probe = `
const t0 = performance.now()
const mod = await import(process.argv[1])
const t1 = performance.now()
await mod.handler(JSON.parse(process.argv[2]), { awsRequestId: 'bench', getRemainingTimeInMillis: () => 29000 })
const t2 = performance.now()
process.stdout.write(JSON.stringify({ importMs: t1 - t0, firstInvokeMs: t2 - t1, heapMB: process.memoryUsage().heapUsed / 2 ** 20 }))
process.exit(0)
`
const env = {
  ...process.env,
  DATABASE_URL: 'postgres://bench@127.0.0.1:1/bench', // never connected to: /health touches no database
  OPS_TOKEN: 'bench-ops-token-0123456789',
  TASK_SIGNING_SECRET: 'bench-signing-secret-0123456789abcdef',
  APP_BASE_URL: 'http://127.0.0.1:1',
  LOG_LEVEL: 'silent',
  AWS_REGION: 'eu-west-1',
  NODE_OPTIONS: '--enable-source-maps',
}
const samples = subjects.map(() => [] as { importMs: number; firstInvokeMs: number; heapMB: number }[])
for (let r = 0; r < runs; r++) {
  subjects.forEach((s, i) => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe, s.bundle, s.event], { env, encoding: 'utf8', timeout: 30_000 })
    samples[i]!.push(JSON.parse(out))
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const base = samples[0]!
const baseImport = median(base.map((s) => s.importMs))
const baseCold = median(base.map((s) => s.importMs + s.firstInvokeMs))
console.log(`Node ${process.version}, ${runs} cold starts each, interleaved; medians`)
console.log(`${'subject'.padEnd(28)} ${'bundle'.padStart(10)} ${'import'.padStart(9)} ${'1st call'.padStart(9)} ${'cold'.padStart(9)} ${'heap'.padStart(8)}   cold ÷ baseline`)
subjects.forEach((s, i) => {
  const xs = samples[i]!
  const imp = median(xs.map((x) => x.importMs))
  const first = median(xs.map((x) => x.firstInvokeMs))
  const cold = median(xs.map((x) => x.importMs + x.firstInvokeMs))
  const kb = `${(fs.statSync(s.bundle).size / 1024).toFixed(0)} KiB`
  console.log(`${s.name.padEnd(28)} ${kb.padStart(10)} ${`${imp.toFixed(1)} ms`.padStart(9)} ${`${first.toFixed(1)} ms`.padStart(9)} ${`${cold.toFixed(1)} ms`.padStart(9)} ${`${median(xs.map((x) => x.heapMB)).toFixed(1)} MB`.padStart(8)}   ${(cold / baseCold).toFixed(2)}× (import ${(imp / baseImport).toFixed(2)}×)`)
})
