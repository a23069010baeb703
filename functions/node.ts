/**
 * The outreach backend on Node (functions/adapters/node.ts). Run directly with DATABASE_URL set
 * (`tsx functions/node.ts`), or through `npm start`, which adds an embedded Postgres first.
 */
import { fileURLToPath } from 'node:url'
import { createApp, type App } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import type { Logger } from '../src/logger.js'
import type { ScheduleEntry } from '../src/tasks/types.js'
import { schedules } from '../cron/schedules.js'
import { serveNode, type NodeServer } from './adapters/node.js'
import { runNode } from './adapters/node-process.js'

export { exitOnSignals } from './adapters/node-process.js'
export type { NodeServer } from './adapters/node.js'

export interface NodeServerOptions {
  logger?: Logger
  /** Adds routes after the app's own (tests use it for deliberately slow or leaky routes). */
  extend?: (app: App) => void
  /** The schedule registry. @default cron/schedules.ts */
  schedules?: readonly ScheduleEntry[]
}

export function startNodeServer(config: Config, options: NodeServerOptions = {}): Promise<NodeServer> {
  return serveNode(
    config,
    (platform) => {
      const app = createApp({ ...platform, webhookFetch: platform.publicOnlyFetch(config.webhooks.allowHosts), schedules: options.schedules ?? schedules })
      options.extend?.(app)
      return app
    },
    options,
  )
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runNode(loadConfig, startNodeServer)
