/**
 * AWS Lambda entry (API Gateway HTTP API, payload v2) through `hono/aws-lambda`. One small pool per
 * execution environment (`min 0`, max 2 by default, short idle timeout), reused while warm; a frozen
 * environment holds at most that many connections, and they close after the idle timeout once thawed.
 */
import './node-crypto.js'
import './node-websocket.js'
import { getConnInfo, handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda'
import { createApp } from '../src/app.js'
import { loadConfig, type Env } from '../src/config.js'
import { createConnectionSource } from '../src/db/connections.js'
import type { ConnectionSource } from '../src/db/types.js'
import { createLogger } from '../src/logger.js'
import { taskRequest } from '../src/tasks/trigger.js'
import { schedules } from '../cron/schedules.js'
import { publicOnlyFetch, resolveHost } from './public-fetch.js'
import { createSqsPublisher } from '../src/queue/sqs-sdk-publisher.js'

/**
 * An EventBridge schedule: either the input that `serverless.yml` sets (`{"lowtideTask", "scheduledAt"}`,
 * the time filled in from the event by an input transformer), or the raw scheduled event, whose rule
 * is named `<service>-<stage>-<task>`.
 */
export type ScheduleEvent =
  | { lowtideTask: string; scheduledAt?: string }
  | { source: 'aws.events'; 'detail-type': 'Scheduled Event'; time: string; resources: string[] }

export interface TaskRunResult {
  task: string
  statusCode: number
  body: unknown
}

export interface LambdaHandler {
  (event: LambdaEvent | ScheduleEvent, context: LambdaContext): Promise<APIGatewayProxyResult | TaskRunResult>
  connections: ConnectionSource
}

function scheduledTask(event: unknown): { name: string; scheduledAt?: Date } | undefined {
  const e = event as Record<string, unknown>
  if (typeof e.lowtideTask === 'string') return { name: e.lowtideTask, scheduledAt: typeof e.scheduledAt === 'string' ? new Date(e.scheduledAt) : undefined }
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event' && Array.isArray(e.resources)) {
    // serverless.yml names each rule `<service>-<stage>-<task>`.
    const rule = String(e.resources[0] ?? '').split('/').pop() ?? ''
    const name = schedules.map((s) => s.name).find((n) => rule === n || rule.endsWith(`-${n}`)) ?? rule
    return { name, scheduledAt: typeof e.time === 'string' ? new Date(e.time) : undefined }
  }
  return undefined
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
    schedules,
    resolveHost,
    webhookFetch: publicOnlyFetch(config.webhooks.allowHosts),
    publisher: createSqsPublisher(config.queue, logger),
  })
  const run = handle(app)
  const runTask = async (task: { name: string; scheduledAt?: Date }): Promise<TaskRunResult> => {
    // The same signed route as every other trigger, through app.fetch: no network hop.
    const request = taskRequest('https://lowtide.internal', task.name, { secret: config.tasks.signingSecret, scheduledAt: task.scheduledAt, trigger: 'eventbridge' })
    const res = await app.fetch(request)
    const body: unknown = await res.json()
    logger[res.ok ? 'info' : 'error']('scheduled task', { task: task.name, status: res.status })
    return { task: task.name, statusCode: res.status, body }
  }
  const handler = (event: LambdaEvent | ScheduleEvent, context: LambdaContext) => {
    const task = scheduledTask(event)
    return task ? runTask(task) : run(event as LambdaEvent, context)
  }
  return Object.assign(handler, { connections })
}

let cached: LambdaHandler | undefined

/** The deployed handler: built on the first invocation of an execution environment, then reused. */
export const handler = (event: LambdaEvent | ScheduleEvent, context: LambdaContext) => {
  cached ??= createLambdaHandler(process.env)
  return cached(event, context)
}
