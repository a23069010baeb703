/**
 * lowtide's runtime on AWS Lambda: one handler for every event a deployment receives, chosen by shape.
 * - API Gateway (HTTP API v2, REST v1) and ALB requests → the app, through `hono/aws-lambda`, with a
 *   named stage taken off the path;
 * - EventBridge schedules (rules and Scheduler) → the signed task route through `app.fetch`; a run
 *   that fails throws, so Lambda retries it, counts an error and alarms;
 * - SQS batches → `/queue/deliver` through `app.fetch` (a single-function deployment);
 * - anything else throws, naming what it got.
 * One small pool per execution environment (`min 0`, max 2 by default, short idle timeout), reused
 * while warm; a frozen environment's dead connections are replaced before a request gets them.
 */
// Node 22+ has a global WebSocket for Neon's driver: no `ws` here (see node-websocket.ts).
import { getConnInfo, handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda'
import type { Hono } from 'hono'
import type { Env, Platform, RuntimeConfig } from '../../src/config/runtime.js'
import { createConnectionSource } from '../../src/db/connections.js'
import type { ConnectionSource } from '../../src/db/types.js'
import { createLogger } from '../../src/logger.js'
import { isSqsEvent, type SqsBatchResponse } from '../../src/queue/sqs-batch.js'
import { scheduledInvocations, type Schedule } from '../../src/tasks/schedule-event.js'
import { INTERNAL_BASE_URL, runScheduledTask, ScheduledTaskError, type ScheduledRun } from '../../src/tasks/scheduled-run.js'
import { describeEvent, isHttpEvent, withoutStage } from './lambda-events.js'
import { nodePlatform, type NodePlatform } from './node-platform.js'
import { createConsumer } from './sqs.js'

export { lazyHandler } from './lazy.js'

export interface LambdaHandler {
  (event: unknown, context: LambdaContext): Promise<APIGatewayProxyResult | ScheduledRun | ScheduledRun[] | SqsBatchResponse>
  connections: ConnectionSource
}

export class UnrecognizedEventError extends Error {
  override name = 'UnrecognizedEventError'
}

export interface LambdaEntryOptions<C extends RuntimeConfig> {
  /** The app's configuration from the environment (the runtime's `loadRuntimeConfig`, or the app's own superset). */
  load(env: Env, platform: Platform): C
  /** Makes the app from the platform. */
  build(platform: NodePlatform<C>): Hono<any>
  /** The schedule registry: which task a schedule event is for. */
  schedules: readonly Schedule[]
}

export function createLambdaEntry<C extends RuntimeConfig>(env: Env, { load, build, schedules }: LambdaEntryOptions<C>): LambdaHandler {
  const config = load(env, 'lambda')
  if (!config.db.url) throw new Error('DATABASE_URL is required on Lambda')
  const logger = createLogger(config.logLevel)
  const connections = createConnectionSource(config.db, config.db.url, logger)
  const app = build({ ...nodePlatform(config, logger, connections), clientIp: (c) => getConnInfo(c).remote.address })
  const http = handle(app)
  const appFetch = (request: Request) => app.fetch(request)
  let consume: ReturnType<typeof createConsumer> | undefined

  const handler = async (event: unknown, context: LambdaContext) => {
    if (isHttpEvent(event)) return http(withoutStage(event as LambdaEvent), context)
    if (isSqsEvent(event)) {
      consume ??= createConsumer({ appBaseUrl: INTERNAL_BASE_URL, signingSecret: requiredSecret(config.tasks.signingSecret), fetch: appFetch, logger, endpoint: config.queue.endpoint, region: config.queue.region })
      return consume(event)
    }
    const scheduled = scheduledInvocations(event, schedules)
    if (!scheduled) throw new UnrecognizedEventError(`unrecognised Lambda event ${describeEvent(event)}: this handler takes API Gateway / ALB requests, EventBridge schedules and SQS batches`)
    const runs: ScheduledRun[] = []
    // One after another: a tick's tasks share this environment's small pool.
    for (const task of scheduled) runs.push(await runScheduledTask(appFetch, { ...task, secret: config.tasks.signingSecret, trigger: 'eventbridge' }, logger, { requestId: context?.awsRequestId }))
    const failed = runs.find((r) => !r.ok)
    if (failed) throw new ScheduledTaskError(failed)
    return runs.length === 1 ? runs[0]! : runs
  }
  return Object.assign(handler, { connections })
}

function requiredSecret(secret: string | undefined): string {
  if (!secret) throw new Error('TASK_SIGNING_SECRET is required to deliver SQS messages')
  return secret
}
