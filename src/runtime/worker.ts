/**
 * lowtide's runtime on Cloudflare Workers. A socket may not outlive its request here, so each request
 * opens its own connection (`pg` over `cloudflare:sockets`, via `nodejs_compat`) and closes it
 * through `ctx.waitUntil` after the response. With a `HYPERDRIVE` binding, that connection goes to
 * Hyperdrive's pool instead of straight to Postgres. Cron triggers run their tasks through the same
 * signed `POST /tasks/<name>` as every other trigger; queue batches (Cloudflare Queues, the outbox's
 * transport when the `OUTBOX_QUEUE` binding is there) go through the same `POST /queue/deliver`.
 */
import type { ExecutionContext, Hono } from 'hono'
import { ConfigError, type Env as StringEnv, type Platform, type RuntimeConfig } from '../config/runtime.js'
import { createConnectionSource } from '../db/connections.js'
import type { ConnectionSource } from '../db/types.js'
import { AppError, errorResponse } from '../errors.js'
import type { PlatformDeps } from '../http/types.js'
import { createLogger, type Logger } from '../logger.js'
import { createQueueBindingPublisher, createQueueConsumer, isQueueProducer, type QueueBatch } from '../queue/cloudflare-queue.js'
import { createFetchSqsPublisher, disabledPublisher, type QueuePublisher } from '../queue/publisher.js'
import { dueOnFiring, isKnownTrigger, ownTrigger } from '../tasks/triggers.js'
import { runScheduledTask } from '../tasks/scheduled-run.js'

export interface WorkerEnv {
  HYPERDRIVE?: { connectionString: string }
  [variable: string]: unknown
}

/** What a Worker gives an app: the runtime's deps; SHA-256 stays the portable one. */
export interface WorkerPlatform<C extends RuntimeConfig = RuntimeConfig> extends PlatformDeps {
  config: C
  logger: Logger
  connections: ConnectionSource
  publisher: QueuePublisher
}

interface ScheduledEvent {
  cron: string
  scheduledTime: number
}

interface Built {
  app: Hono<any>
  logger: Logger
  signingSecret: string | undefined
}

/** Where the outbox's Cloudflare queue is (wrangler.toml's `[[queues.*]]`, written by `npm run cron:sync` from cron/queues.ts). */
export interface WorkerQueueOptions {
  /** The producer binding the outbox publishes with. @default "OUTBOX_QUEUE" */
  producerBinding?: string
  /** The dead-letter queues this Worker consumes: their messages record their rows dead. */
  deadLetterQueues?: readonly string[]
  /** The outbox queue consumer's `max_retries` (see `QueueConsumerOptions.maxRetries`). */
  maxRetries?: number
  /** Messages of one batch delivered at once. @default 5 */
  concurrency?: number
}

export interface WorkerEntryOptions<C extends RuntimeConfig> {
  /** The app's configuration from the Worker's string bindings (the runtime's `loadRuntimeConfig`, or the app's own superset). */
  load(env: StringEnv, platform: Platform): C
  /** Makes the app from the platform. */
  build(platform: WorkerPlatform<C>): Hono<any>
  /** The schedule registry: which tasks a firing cron runs (src/tasks/triggers.ts). */
  schedules: readonly { name: string; cron: string; timezone?: string }[]
  queues?: WorkerQueueOptions
}

/**
 * The outbox's transport on Workers, by OUTBOX_TRANSPORT: `auto` takes the Queues binding when there
 * is one, else SQS (signed fetch) when SQS_QUEUE_URL is set, else none (the sweep delivers).
 */
function workerPublisher(config: RuntimeConfig, env: WorkerEnv, binding: string, logger: Logger): QueuePublisher {
  const producer = env[binding]
  const transport = config.queue.transport
  if (transport === 'cloudflare-queues' || (transport === 'auto' && producer !== undefined)) {
    if (!isQueueProducer(producer)) {
      throw new ConfigError([{ variable: binding, message: `OUTBOX_TRANSPORT=${transport} needs a Cloudflare Queues producer binding named ${binding} ([[queues.producers]] in wrangler.toml)` }])
    }
    return createQueueBindingPublisher(producer, logger)
  }
  if (transport === 'none') return disabledPublisher
  return createFetchSqsPublisher(config.queue, logger)
}

export function createWorkerEntry<C extends RuntimeConfig>({ load, build, schedules, queues = {} }: WorkerEntryOptions<C>) {
  const producerBinding = queues.producerBinding ?? 'OUTBOX_QUEUE'
  // One app per isolate and env; building it per request would re-register every route.
  const apps = new WeakMap<object, Built>()
  const appFor = (env: WorkerEnv): Built => {
    const built = apps.get(env)
    if (built) return built
    const strings: StringEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as StringEnv
    const config = load(strings, 'worker')
    const connectionString = env.HYPERDRIVE?.connectionString ?? config.db.url
    if (!connectionString) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'required (or a HYPERDRIVE binding)' }])
    const logger = createLogger(config.logLevel)
    const app = build({
      config,
      logger,
      connections: createConnectionSource(config.db, connectionString, logger),
      clientIp: (c) => c.req.header('cf-connecting-ip'),
      defer: (c, work) => c.executionCtx.waitUntil(work),
      publisher: workerPublisher(config, env, producerBinding, logger),
    })
    const entry = { app, logger, signingSecret: config.tasks.signingSecret }
    apps.set(env, entry)
    return entry
  }

  return {
    fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
      try {
        return appFor(env).app.fetch(request, env, ctx)
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        createLogger('error').error('configuration invalid', { error: err.message })
        return errorResponse(new AppError(500, 'config_invalid', err.message))
      }
    },

    /**
     * A cron trigger: each task this firing is for (an entry's own trigger, a zone's UTC cover or the
     * folded tick: src/tasks/triggers.ts) runs through the signed `POST /tasks/<name>` via
     * `app.fetch` (no network hop), kept alive with `ctx.waitUntil`. The occurrence is the trigger's
     * own scheduled time.
     */
    scheduled(event: ScheduledEvent, env: WorkerEnv, ctx: ExecutionContext): void {
      const { app, logger, signingSecret } = appFor(env)
      const scheduledAt = new Date(event.scheduledTime)
      const names = dueOnFiring(schedules, event.cron, scheduledAt)
      // A trigger left behind by an edited registry (or a dashboard edit) would otherwise run nothing, silently.
      if (!isKnownTrigger(schedules, event.cron)) logger.warn('cron trigger runs no registered task', { cron: event.cron, crons: [...new Set(schedules.map((s) => ownTrigger(s)))] })
      for (const name of names) {
        ctx.waitUntil(runScheduledTask((request) => app.fetch(request, env, ctx), { name, scheduledAt, secret: signingSecret, trigger: 'cron' }, logger, { cron: event.cron }))
      }
    },

    /**
     * A Cloudflare Queues batch: each message to the signed `POST /queue/deliver` via `app.fetch`
     * (src/queue/cloudflare-queue.ts), at most `concurrency` at once; returns when every message
     * has its fate, so the invocation holds no connection afterwards.
     */
    async queue(batch: QueueBatch, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
      const { app, logger, signingSecret } = appFor(env)
      const consume = createQueueConsumer({ fetch: (request) => app.fetch(request, env, ctx), signingSecret, logger, deadLetterQueues: queues.deadLetterQueues ?? [], maxRetries: queues.maxRetries, concurrency: queues.concurrency })
      await consume(batch)
    },
  }
}
