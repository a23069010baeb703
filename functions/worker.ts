/** The outreach backend on Cloudflare Workers (src/runtime/worker.ts): HTTP, cron triggers and the outbox's queue. */
import { createApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { cloudflareOutboxQueue } from '../cron/queues.js'
import { schedules } from '../cron/schedules.js'
import { createWorkerEntry } from '../src/runtime/index.js'

export type { WorkerEnv } from '../src/runtime/index.js'

export default createWorkerEntry({
  load: loadConfig,
  build: (platform) => createApp({ ...platform, schedules }),
  schedules,
  queues: { producerBinding: cloudflareOutboxQueue.binding, deadLetterQueues: [cloudflareOutboxQueue.deadLetterQueue], maxRetries: cloudflareOutboxQueue.maxRetries },
})
