/**
 * `user` (requireUser): `Authorization: Bearer lt_…` → `c.get('user')`; `admin` on top of it.
 * No header → 401 `unauthorized`; a malformed, unknown or revoked key → 401 `invalid_api_key`.
 */
import type { MiddlewareHandler } from 'hono'
import type { Sha256 } from '../../crypto.js'
import { AppError } from '../../errors.js'
import type { AppEnv } from '../env.js'
import { apiKeyPattern } from './api-keys.js'
import { authenticateKey } from './repo.js'

const challenge = { 'WWW-Authenticate': 'Bearer realm="lowtide"' }

export interface Authentication {
  user: MiddlewareHandler<AppEnv>
  admin: MiddlewareHandler<AppEnv>
}

/** The two middlewares, hashing keys with the platform's SHA-256. */
export function authentication(sha256: Sha256): Authentication {
  return {
    user: async function requireUser(c, next) {
      const header = c.req.header('authorization')
      if (!header) throw new AppError(401, 'unauthorized', 'this endpoint needs Authorization: Bearer <API key>', undefined, challenge)
      const key = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
      const user = key && apiKeyPattern.test(key) ? await authenticateKey(c.get('db'), sha256(key)) : undefined
      if (!user) throw new AppError(401, 'invalid_api_key', 'the API key is malformed, unknown or revoked', undefined, challenge)
      c.set('user', user)
      return next()
    },
    admin: async function requireAdmin(c, next) {
      if (c.get('user').role !== 'admin') throw new AppError(403, 'forbidden', 'this endpoint is for admins')
      return next()
    },
  }
}
