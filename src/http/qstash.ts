/**
 * Requests from Upstash QStash (a schedule or a message calling `POST /tasks/<name>`): QStash signs
 * each delivery with an `Upstash-Signature` JWT (HS256 under the current or the next signing key;
 * `iss` Upstash, `sub` the URL it called, `body` the base64url SHA-256 of the body, `exp`/`nbf`),
 * verified here with jose. The URL's path must end with the app's own path, so a delivery captured
 * for one task is refused by every other, whatever prefix (a stage, a proxy) sits in front of the app.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { jwtVerify } from 'jose'
import { toBase64Url } from '../crypto.js'

export const QSTASH_SIGNATURE_HEADER = 'upstash-signature'
/** The same across QStash's retries of one delivery: the ledger maps a retry to its occurrence by it. */
export const QSTASH_MESSAGE_ID_HEADER = 'upstash-message-id'

const encoder = new TextEncoder()
const noPadding = (s: string) => s.replace(/=+$/, '')

/** Why the delivery is refused, or `undefined` when a configured key signed it for this path and body. */
export async function qstashRefusal(keys: (string | undefined)[], token: string, request: { path: string; body: string }, clockToleranceS = 5): Promise<string | undefined> {
  let payload: { sub?: unknown; body?: unknown } | undefined
  let why = 'no QStash signing key configured (QSTASH_CURRENT_SIGNING_KEY)'
  let claimsChecked = false
  for (const key of keys) {
    if (!key) continue
    try {
      payload = (await jwtVerify(token, encoder.encode(key), { issuer: 'Upstash', algorithms: ['HS256'], clockTolerance: clockToleranceS })).payload
      break
    } catch (err) {
      // A key that verified the signature but not the claims (expired, another issuer) says more
      // than the other key's mismatch.
      const signatureMismatch = (err as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
      if (!signatureMismatch || !claimsChecked) why = (err as Error).message
      if (!signatureMismatch) claimsChecked = true
    }
  }
  if (!payload) return `Upstash-Signature ${why}`
  const sub = typeof payload.sub === 'string' && URL.canParse(payload.sub) ? new URL(payload.sub).pathname : undefined
  if (sub === undefined || !(sub === request.path || sub.endsWith(request.path))) return `Upstash-Signature is for ${String(payload.sub)}, not ${request.path}`
  if (typeof payload.body !== 'string' || noPadding(payload.body) !== noPadding(toBase64Url(sha256(encoder.encode(request.body))))) return 'Upstash-Signature does not match the body'
  return undefined
}
