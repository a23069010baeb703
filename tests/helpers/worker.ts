import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Miniflare } from 'miniflare'
import { unstable_getMiniflareWorkerOptions, type Unstable_MiniflareWorkerOptions } from 'wrangler'
import { buildWorker, ROOT, WORKER_BUNDLE } from '../../tools/build-worker.js'
import { driverBindings, TEST_ENV } from './app.js'
import { TEST_SIGNING_SECRET } from './tasks.js'

type QueueOptions = Partial<Pick<Unstable_MiniflareWorkerOptions['workerOptions'], 'queueProducers' | 'queueConsumers'>>

/**
 * The queues of a wrangler.toml as `wrangler dev` hands them to Miniflare (wrangler's own reader),
 * with `consumers` overriding settings per queue (e.g. fewer retries in a test).
 */
export function wranglerQueues(configPath = path.join(ROOT, 'wrangler.toml'), consumers: Record<string, { maxRetries?: number; retryDelay?: number; maxBatchTimeout?: number }> = {}): QueueOptions {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath)
  const fromFile = (workerOptions.queueConsumers ?? {}) as Record<string, object>
  return {
    queueProducers: workerOptions.queueProducers,
    queueConsumers: Object.fromEntries(Object.entries(fromFile).map(([queue, settings]) => [queue, { ...settings, ...consumers[queue] }])),
  }
}

/** The real Worker bundle (built as `wrangler deploy` builds it) in workerd, with test defaults (and TEST_DB_DRIVER's driver) plus `bindings`. */
export async function startWorker(bindings: Record<string, string>, extra: { hyperdrives?: Record<string, string> } & QueueOptions = {}): Promise<Miniflare> {
  buildWorker()
  const mf = new Miniflare({
    ...extra,
    modules: true,
    scriptPath: WORKER_BUNDLE,
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    bindings: { ...TEST_ENV, TASK_SIGNING_SECRET: TEST_SIGNING_SECRET, LOG_LEVEL: 'warn', ...driverBindings(), ...bindings },
  })
  await mf.ready
  return mf
}

/**
 * Another Worker of this repository (a test app with its own wrangler.toml), bundled by
 * `wrangler deploy --dry-run` as a deployment would be and started in workerd with `bindings`.
 * `dispose()` stops it and removes the bundle.
 */
export async function startWorkerFrom(wranglerToml: string, bindings: Record<string, string>): Promise<Miniflare & { outDir: string }> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-test-worker-'))
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--config', wranglerToml, '--outdir', outDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  })
  const mf = new Miniflare({
    modules: true,
    modulesRoot: outDir,
    scriptPath: path.join(outDir, 'worker.js'),
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    bindings,
  })
  await mf.ready
  const dispose = mf.dispose.bind(mf)
  return Object.assign(mf, {
    outDir,
    dispose: async () => {
      await dispose()
      fs.rmSync(outDir, { recursive: true, force: true })
    },
  })
}
