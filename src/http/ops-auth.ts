import type { MiddlewareHandler } from 'hono'
import { timingSafeEqualText } from '../crypto.js'
import { AppError } from '../errors.js'
import { ipAllowList } from './ip.js'
import type { HttpConfig, PlatformDeps } from './types.js'

/** The token of `Bearer <token>`, or the password of `Basic base64(user:password)` (what a browser sends). */
function presentedToken(header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  if (bearer) return bearer
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1]
  if (!basic) return undefined
  try {
    const decoded = atob(basic)
    return decoded.slice(decoded.indexOf(':') + 1) || undefined
  } catch {
    return undefined
  }
}

/**
 * Ops endpoints: `Authorization: Bearer <OPS_TOKEN>` (or HTTP Basic with the token as password, for
 * a browser: `challenge: 'basic'` makes it ask), or a client IP in `OPS_ALLOW_IPS`.
 * No credentials → 401; a wrong token → 403.
 */
export function opsAuth(deps: { config: Pick<HttpConfig, 'opsToken' | 'opsAllowIps'>; clientIp: PlatformDeps['clientIp'] }, challenge: 'bearer' | 'basic' = 'bearer'): MiddlewareHandler {
  const allowed = ipAllowList(deps.config.opsAllowIps)
  const token = deps.config.opsToken
  return async function opsAuth(c, next) {
    if (allowed(deps.clientIp(c))) return next()
    const header = c.req.header('authorization')
    if (!header) {
      throw new AppError(401, 'unauthorized', 'ops endpoints need Authorization: Bearer <OPS_TOKEN> or an allow-listed IP', undefined, {
        'WWW-Authenticate': challenge === 'basic' ? 'Basic realm="lowtide ops", charset="UTF-8"' : 'Bearer realm="ops"',
      })
    }
    const presented = presentedToken(header)
    if (!token || !presented || !timingSafeEqualText(presented, token)) {
      throw new AppError(403, 'forbidden', 'invalid ops credentials')
    }
    return next()
  }
}
