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
import { createLogger } from '../src/logger.js'

export interface WorkerEnv {
  HYPERDRIVE?: { connectionString: string }
  [variable: string]: unknown
}

/** One app per isolate and env; building it per request would re-register every route. */
const apps = new WeakMap<object, App>()

function appFor(env: WorkerEnv): App {
  let app = apps.get(env)
  if (app) return app
  const strings: StringEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as StringEnv
  const config = loadConfig(strings, 'worker')
  const connectionString = env.HYPERDRIVE?.connectionString ?? config.db.url
  if (!connectionString) throw new ConfigError([{ variable: 'DATABASE_URL', message: 'required (or a HYPERDRIVE binding)' }])
  const logger = createLogger(config.logLevel)
  app = createApp({
    config,
    logger,
    connections: createConnectionSource(config.db, connectionString, logger),
    clientIp: (c) => c.req.header('cf-connecting-ip'),
    defer: (c, work) => c.executionCtx.waitUntil(work),
  })
  apps.set(env, app)
  return app
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    try {
      return appFor(env).fetch(request, env, ctx)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      console.error(err.message)
      return errorResponse(new AppError(500, 'config_invalid', err.message))
    }
  },
}
