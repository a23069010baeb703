/** What outreach routes see on a request: the runtime's variables (`db`, `outbox`) and the authenticated user. */
import type { Context } from 'hono'
import type { RuntimeEnv } from '../queue/env.js'

/** Who a request acts for, once `requireUser` has checked its API key. */
export interface AuthUser {
  id: string
  email: string
  role: 'user' | 'admin'
  emailVerified: boolean
  apiKeyId: string
}

export type AppEnv = { Variables: RuntimeEnv['Variables'] & { user: AuthUser } }
export type AppContext = Context<AppEnv>
