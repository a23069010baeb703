import type { Context } from 'hono'
import type { Config } from '../config.js'
import type { RequestScope } from '../db/scope.js'
import type { ConnectionSource } from '../db/types.js'
import type { EmailTransport } from '../domain/emails/transport.js'
import type { Logger } from '../logger.js'
import type { Outbox } from '../queue/outbox.js'
import type { QueuePublisher } from '../queue/publisher.js'
import type { ScheduleEntry } from '../tasks/types.js'

/** Who a request acts for, once `requireUser` has checked its API key. */
export interface AuthUser {
  id: string
  email: string
  role: 'user' | 'admin'
  emailVerified: boolean
  apiKeyId: string
}

export type AppEnv = { Variables: { db: RequestScope; user: AuthUser; outbox: Outbox } }
export type AppContext = Context<AppEnv>

/** Everything platform-specific the core needs, handed in by `functions/*`. */
export interface AppDeps {
  config: Config
  logger: Logger
  /** Where request scopes get their connection: a shared pool, or one connection per request. */
  connections: ConnectionSource
  /** How emails leave (`EMAIL_TRANSPORT`); built from config when not given. */
  email?: EmailTransport
  /** Outbound HTTP (chat agent, email API); the platform's `fetch` when not given. */
  fetch?: typeof fetch
  /**
   * Outbound HTTP to user-supplied URLs (webhooks): on Node and Lambda a fetch whose connections
   * refuse non-public addresses. Defaults to `fetch`.
   */
  webhookFetch?: typeof fetch
  /** All addresses of a host name (Node, Lambda); absent on Workers. */
  resolveHost?: (host: string) => Promise<string[]>
  /** The schedule registry (`cron/schedules.ts`): the tasks `POST /tasks/<name>` can run. */
  schedules?: readonly ScheduleEntry[]
  /** Where outbox ids go after commit; SQS from config when not given. */
  publisher?: QueuePublisher
  /** Names this instance in task leases. @default "<platform>-<random>" */
  instanceId?: string
  /** The client's address as the platform knows it (socket peer, CF-Connecting-IP, API Gateway sourceIp). */
  clientIp(c: Context): string | undefined
  /**
   * Keeps work alive after the response is sent (Workers: `ctx.waitUntil`). Without it the work is
   * awaited before the response leaves, which is what Node and Lambda want.
   */
  defer?(c: Context, work: Promise<unknown>): void
  /**
   * Calls `onGone` if the client disconnects before the response is complete. Only Node needs it:
   * a Worker's request is cancelled with its client, and API Gateway waits for Lambda whatever the
   * client does.
   */
  onClientGone?(c: Context, onGone: () => void): void
}
