/**
 * `npm run build`: bundles the Worker exactly as `wrangler deploy` would, offline
 * (`wrangler deploy --dry-run --outdir dist/worker`), and prints its size raw and gzipped.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))
export const WORKER_OUT_DIR = path.join(ROOT, 'dist', 'worker')
export const WORKER_BUNDLE = path.join(WORKER_OUT_DIR, 'worker.js')

export function buildWorker(): { raw: number; gzip: number } {
  fs.rmSync(WORKER_OUT_DIR, { recursive: true, force: true })
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', WORKER_OUT_DIR, '--minify'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' } },
  )
  const code = fs.readFileSync(WORKER_BUNDLE)
  return { raw: code.length, gzip: gzipSync(code).length }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { raw, gzip } = buildWorker()
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  console.log(`worker bundle: ${path.relative(ROOT, WORKER_BUNDLE)}  raw ${kb(raw)}  gzip ${kb(gzip)}`)
}
