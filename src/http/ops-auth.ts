import type { MiddlewareHandler } from 'hono'
import { timingSafeEqualText } from '../crypto.js'
import { AppError } from '../errors.js'
import { ipAllowList } from './ip.js'
import type { AppDeps } from './types.js'

/**
 * Ops endpoints: `Authorization: Bearer <OPS_TOKEN>`, or a client IP in `OPS_ALLOW_IPS`.
 * No credentials → 401; a wrong token → 403.
 */
export function opsAuth(deps: Pick<AppDeps, 'config' | 'clientIp'>): MiddlewareHandler {
  const allowed = ipAllowList(deps.config.opsAllowIps)
  const token = deps.config.opsToken
  return async function opsAuth(c, next) {
    if (allowed(deps.clientIp(c))) return next()
    const header = c.req.header('authorization')
    if (!header) {
      throw new AppError(401, 'unauthorized', 'ops endpoints need Authorization: Bearer <OPS_TOKEN> or an allow-listed IP', undefined, {
        'WWW-Authenticate': 'Bearer realm="ops"',
      })
    }
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
    if (!token || !presented || !timingSafeEqualText(presented, token)) {
      throw new AppError(403, 'forbidden', 'invalid ops credentials')
    }
    return next()
  }
}
