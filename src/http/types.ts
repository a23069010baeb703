import type { Context } from 'hono'
import type { RuntimeConfig } from '../config/runtime.js'
import type { RequestScope } from '../db/scope.js'

/** What the request scope middleware gives every request: `c.get('db')`. Apps extend it with their own variables. */
export type ScopeEnv = { Variables: { db: RequestScope } }

/** What only the platform knows about a request, handed in by `functions/*`. */
export interface PlatformDeps {
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

/** The settings the HTTP layer reads. */
export type HttpConfig = Pick<RuntimeConfig, 'requestTimeoutMs' | 'trustProxyHops' | 'opsToken' | 'opsAllowIps'>
