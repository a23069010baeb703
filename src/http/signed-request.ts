import type { MiddlewareHandler } from 'hono'
import type { TaskConfig } from '../config/runtime.js'
import { timingSafeEqualText } from '../crypto.js'
import { AppError } from '../errors.js'
import { qstashRefusal, QSTASH_SIGNATURE_HEADER } from './qstash.js'
import { checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing.js'

/**
 * Task and queue endpoints: a valid signature (lowtide's own, or QStash's `Upstash-Signature` when
 * its signing keys are configured), or `Authorization: Bearer <CRON_SECRET>`. Anything else —
 * nothing, a wrong or expired signature, a replay outside the window — is 401.
 */
export function signedRequest(config: TaskConfig): MiddlewareHandler {
  const secrets = [config.signingSecret, config.nextSigningSecret]
  return async function signedRequest(c, next) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1]
    if (bearer && config.cronSecret && timingSafeEqualText(bearer, config.cronSecret)) return next()
    const qstash = c.req.header(QSTASH_SIGNATURE_HEADER)
    if (qstash !== undefined) {
      const refused = await qstashRefusal([config.qstashCurrentSigningKey, config.qstashNextSigningKey], qstash, { path: c.req.path, body: await c.req.text() })
      if (refused) throw new AppError(401, 'invalid_signature', refused)
      return next()
    }
    const timestamp = c.req.header(TIMESTAMP_HEADER)
    const signature = c.req.header(SIGNATURE_HEADER)
    if (!bearer && !timestamp && !signature) {
      throw new AppError(401, 'unauthorized', 'task endpoints need a signed request (X-Lowtide-Timestamp, X-Lowtide-Signature; or QStash\'s Upstash-Signature) or Bearer CRON_SECRET')
    }
    const verdict = checkSignature(secrets, timestamp, signature, { method: c.req.method, path: c.req.path, body: await c.req.text() })
    if (verdict !== 'ok') {
      const why = verdict === 'v1-refused' ? 'uses a v1 scheme (timestamp and body only), which lowtide does not accept; sign v2: "<timestamp>\\n<METHOD>\\n<path>\\n<body>"' : verdict
      throw new AppError(401, 'invalid_signature', `request signature ${why}`)
    }
    return next()
  }
}
