/** The outreach backend on Cloudflare Workers (functions/adapters/worker.ts). */
import { createApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { schedules } from '../cron/schedules.js'
import { createWorkerEntry } from '../src/runtime/index.js'

export type { WorkerEnv } from '../src/runtime/index.js'

export default createWorkerEntry({ load: loadConfig, build: (platform) => createApp({ ...platform, schedules }), schedules })
