/**
 * Builds the signed `POST /tasks/<name>` request every trigger sends: Workers cron and EventBridge
 * hand it to `app.fetch` (no network hop), `cron/call.ts` and the dev clock send it over HTTP.
 * A path prefix of `baseUrl` (an API Gateway stage, a proxy's mount point) is kept.
 */
import { AppError } from '../errors.js'
import { signRequest, TRIGGER_HEADER } from '../http/signing.js'
import { joinUrl } from '../url.js'

export function taskRequest(
  baseUrl: string,
  name: string,
  options: { secret: string | undefined; scheduledAt?: Date; trigger: string; nowMs?: number },
): Request {
  if (!options.secret) throw new AppError(500, 'config_invalid', 'TASK_SIGNING_SECRET is required to trigger tasks')
  const body = JSON.stringify(options.scheduledAt ? { scheduledAt: options.scheduledAt.toISOString() } : {})
  // Signed for the app's own path: a prefix of baseUrl is in front of the app, not part of its routes.
  const path = `/tasks/${encodeURIComponent(name)}`
  return new Request(joinUrl(baseUrl, path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TRIGGER_HEADER]: options.trigger, ...signRequest(options.secret, { method: 'POST', path, body }, options.nowMs) },
    body,
  })
}
