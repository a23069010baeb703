import type { MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { TaskConfig } from '../config/runtime.js'
import type { RuntimeEnv } from './env.js'
import { openApiApp, route } from '../http/openapi.js'
import type { Logger } from '../logger.js'
import { signedRequest } from '../http/signed-request.js'
import { deadLettered, deliver, type OutboxHandler } from './deliver.js'
import { Outbox } from './outbox.js'
import type { QueuePublisher } from './publisher.js'

export const deliverBody = z
  .object({
    id: z.uuid(),
    receiveCount: z.number().int().min(1).optional(),
    deadLetter: z.literal(true).optional().describe('the message came from the dead-letter queue: record a tried row dead instead of delivering it'),
  })
  .strict()

const deliverAnswer = z.object({
  result: z.enum(['done', 'duplicate', 'unknown', 'dead', 'retry', 'deferred', 'postponed']),
  retryAfterS: z.number().int().optional(),
  nextAttemptAt: z.string().optional(),
  error: z.string().optional(),
  reason: z.string().optional().describe('postponed: what it waits for (a task lease held elsewhere); not a failed attempt'),
})

/** `POST /queue/deliver`, signed like task requests (the SQS and Cloudflare Queues consumers sign). */
export function queueRoutes(deps: { handlers: Record<string, OutboxHandler>; config: TaskConfig; logger: Logger }) {
  const app = openApiApp<RuntimeEnv>()
  app.openapi(
    route({
      method: 'post',
      path: '/deliver',
      tag: 'tasks',
      auth: 'signed',
      summary: 'Process one outbox row named by a queue message (SQS, Cloudflare Queues), idempotently',
      middleware: [signedRequest(deps.config)],
      body: deliverBody,
      responses: { 200: deliverAnswer },
    }),
    async (c) => {
      const { id, deadLetter } = c.req.valid('json')
      const answer = deadLetter ? await deadLettered(c.get('db'), id, deps.logger) : await deliver(c.get('db'), id, deps.handlers, deps.logger, c.get('outbox'))
      return c.json(answer, 200)
    },
  )
  return app
}

/**
 * Gives each request an `Outbox` (`c.get('outbox')`) and publishes what it collected once the
 * request is over — registered outside the request scope, so the connection is already back
 * while SQS is called; on Workers the publish is deferred with `waitUntil`.
 */
export function outboxScope(
  publisher: QueuePublisher,
  maxAttempts: number,
  defer?: (c: Parameters<MiddlewareHandler>[0], work: Promise<unknown>) => void,
): MiddlewareHandler<RuntimeEnv> {
  return async function outboxScope(c, next) {
    const outbox = new Outbox(maxAttempts)
    c.set('outbox', outbox)
    await next()
    const publishing = outbox.flush(publisher)
    if (!publishing) return
    if (defer) defer(c, publishing)
    else await publishing
  }
}
