/**
 * AWS Lambda entry (API Gateway HTTP API, payload v2) through `hono/aws-lambda`. One small pool per
 * execution environment (`min 0`, max 2 by default, short idle timeout), reused while warm; a frozen
 * environment holds at most that many connections, and they close after the idle timeout once thawed.
 */
import { getConnInfo, handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda'
import { createApp } from '../src/app.js'
import { loadConfig, type Env } from '../src/config.js'
import { createConnectionSource } from '../src/db/connections.js'
import type { ConnectionSource } from '../src/db/types.js'
import { createLogger } from '../src/logger.js'

export interface LambdaHandler {
  (event: LambdaEvent, context: LambdaContext): Promise<APIGatewayProxyResult>
  connections: ConnectionSource
}

export function createLambdaHandler(env: Env): LambdaHandler {
  const config = loadConfig(env, 'lambda')
  if (!config.db.url) throw new Error('DATABASE_URL is required on Lambda')
  const logger = createLogger(config.logLevel)
  const connections = createConnectionSource(config.db, config.db.url, logger)
  const app = createApp({
    config,
    logger,
    connections,
    clientIp: (c) => getConnInfo(c).remote.address,
  })
  const run = handle(app)
  return Object.assign((event: LambdaEvent, context: LambdaContext) => run(event, context), { connections })
}

let cached: LambdaHandler | undefined

/** The deployed handler: built on the first invocation of an execution environment, then reused. */
export const handler = (event: LambdaEvent, context: LambdaContext) => {
  cached ??= createLambdaHandler(process.env)
  return cached(event, context)
}
