import { Miniflare } from 'miniflare'
import { buildWorker, WORKER_BUNDLE } from '../../tools/build-worker.js'
import { driverBindings, TEST_ENV } from './app.js'
import { TEST_SIGNING_SECRET } from './tasks.js'

/** The real Worker bundle (built as `wrangler deploy` builds it) in workerd, with test defaults (and TEST_DB_DRIVER's driver) plus `bindings`. */
export async function startWorker(bindings: Record<string, string>, extra: { hyperdrives?: Record<string, string> } = {}): Promise<Miniflare> {
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
