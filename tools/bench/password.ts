/**
 * `npm run bench:password`: what a password hash costs inside workerd at each AUTH_PBKDF2_ITERATIONS,
 * next to the Workers Free plan's 10 ms of CPU per request. Register hashes once, login verifies once
 * (an unknown email burns the same work): this is the bulk of their CPU. The script in workerd does
 * nothing but PBKDF2-SHA256 through WebCrypto, as src/domain/accounts/password.ts does, so its wall
 * time per request is CPU time; an empty request is measured alongside and subtracted.
 * Options: --runs 30
 */
import { parseArgs } from 'node:util'
import { Miniflare } from 'miniflare'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } })
const runs = Math.max(5, Math.min(500, Number(values.runs) || 30))
const counts = [0, 10_000, 20_000, 50_000, 100_000]
const FREE_PLAN_CPU_MS = 10

const script = `export default { async fetch(request) {
  const n = Number(new URL(request.url).searchParams.get('n'))
  if (n > 0) {
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('a long enough password'), 'PBKDF2', false, ['deriveBits'])
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: n }, key, 256)
  }
  return new Response('ok')
} }`
const mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-04-20' })
await mf.ready
const samples = new Map(counts.map((n) => [n, [] as number[]]))
try {
  for (let r = 0; r < runs; r++) {
    for (const n of counts) {
      const started = performance.now()
      await (await mf.dispatchFetch(`http://localhost/?n=${n}`)).text()
      samples.get(n)!.push(performance.now() - started)
    }
  }
} finally {
  await mf.dispose()
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const empty = median(samples.get(0)!)
console.log(`PBKDF2-SHA256 in workerd, ${runs} runs each, interleaved; median ms per hash (empty request ${empty.toFixed(2)} ms subtracted)`)
console.log(`${'iterations'.padStart(10)} ${'ms'.padStart(8)}   ÷ Free plan's ${FREE_PLAN_CPU_MS} ms CPU`)
for (const n of counts.slice(1)) {
  const ms = Math.max(0, median(samples.get(n)!) - empty)
  console.log(`${n.toLocaleString('en').padStart(10)} ${ms.toFixed(2).padStart(8)}   ${(ms / FREE_PLAN_CPU_MS).toFixed(2)}×`)
}
