/**
 * Cloudflare Workers entry. A socket may not outlive its request here, so each request opens its
 * own connection (`pg` over `cloudflare:sockets`, via `nodejs_compat`) and closes it through
 * `ctx.waitUntil` after the response. With a `HYPERDRIVE` binding, that connection goes to
 * Hyperdrive's pool instead of straight to Postgres.
 */
import type { ExecutionContext } from 'hono'
import { createApp, type App } from '../src/app.js'
import { ConfigError, loadConfig, type Env as StringEnv } from '../src/config.js'
import { createConnectionSource } from '../src/db/connections.js'
import { AppError, errorResponse } from '../src/errors.js'
import { createLogger, type Logger } from '../src/logger.js'
import { createFetchSqsPublisher } from '../src/queue/publisher.js'
import { tasksForCron } from '../src/tasks/registry.js'
import { runScheduledTask } from '../src/tasks/scheduled-run.js'
import { schedules } from '../cron/schedules.js'

export interface WorkerEnv {
  HYPERDRIVE?: { connectionString: string }
  [variable: string]: unknown
}

/** One app per isolate and env; building it per request would re-register every route. */
interface BuiltApp {
  app: App
  logger: Logger
  signingSecret: string | undefined
}

const apps = new WeakMap<object, BuiltApp>()

function appFor(env: WorkerEnv): BuiltApp {
  const built = apps.get(env)
  if (built) return built
  const strings: StringEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as StringEnv
  const config = loadConfig(strings, 'worker')
  const connectionString = env.HYPERDRIVE?.connectionString ?? config.db.url
  if (!connectionString) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'required (or a HYPERDRIVE binding)' }])
  const logger = createLogger(config.logLevel)
  const app = createApp({
    config,
    logger,
    connections: createConnectionSource(config.db, connectionString, logger),
    clientIp: (c) => c.req.header('cf-connecting-ip'),
    defer: (c, work) => c.executionCtx.waitUntil(work),
    schedules,
    publisher: createFetchSqsPublisher(config.queue, logger),
  })
  const entry = { app, logger, signingSecret: config.tasks.signingSecret }
  apps.set(env, entry)
  return entry
}

interface ScheduledEvent {
  cron: string
  scheduledTime: number
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    try {
      return appFor(env).app.fetch(request, env, ctx)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      console.error(err.message)
      return errorResponse(new AppError(500, 'config_invalid', err.message))
    }
  },

  /**
   * A cron trigger: each task registered under this cron string runs through the same signed
   * `POST /tasks/<name>` as any other trigger, via `app.fetch` (no network hop), kept alive with
   * `ctx.waitUntil`. The occurrence is the trigger's own scheduled time.
   */
  scheduled(event: ScheduledEvent, env: WorkerEnv, ctx: ExecutionContext): void {
    const { app, logger, signingSecret } = appFor(env)
    const scheduledAt = new Date(event.scheduledTime)
    for (const name of tasksForCron(schedules, event.cron)) {
      ctx.waitUntil(runScheduledTask((request) => app.fetch(request, env, ctx), { name, scheduledAt, secret: signingSecret, trigger: 'cron' }, logger, { cron: event.cron }))
    }
  },
}
