import { Hono, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { TaskConfig } from '../config/runtime.js'
import type { RuntimeEnv } from './env.js'
import { validate } from '../http/validate.js'
import type { Logger } from '../logger.js'
import { signedRequest } from '../http/signed-request.js'
import { deliver, type OutboxHandler } from './deliver.js'
import { Outbox } from './outbox.js'
import type { QueuePublisher } from './publisher.js'

export const deliverBody = z.object({ id: z.uuid(), receiveCount: z.number().int().min(1).optional() }).strict()

/** `POST /queue/deliver`, signed like task requests (the SQS consumer signs). */
export function queueRoutes(deps: { handlers: Record<string, OutboxHandler>; config: TaskConfig; logger: Logger }) {
  return new Hono<RuntimeEnv>().post('/deliver', signedRequest(deps.config, deps.logger), validate('json', deliverBody), async (c) => {
    return c.json(await deliver(c.get('db'), c.req.valid('json').id, deps.handlers, deps.logger, c.get('outbox')))
  })
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
