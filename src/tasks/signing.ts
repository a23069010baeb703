/**
 * Signed task and queue requests: `X-Lowtide-Timestamp: <unix seconds>` and
 * `X-Lowtide-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, accepted within ±5 minutes,
 * compared in constant time, with the current secret or the next one (rotation without downtime).
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { bytesEqual } from '../crypto.js'

/** Which trigger sent a task or queue request (cron, eventbridge, sqs, cli, …): recorded in the ledger. */
export const TRIGGER_HEADER = 'x-lowtide-trigger'
export const TIMESTAMP_HEADER = 'x-lowtide-timestamp'
export const SIGNATURE_HEADER = 'x-lowtide-signature'
export const TOLERANCE_S = 300

const encoder = new TextEncoder()

export function computeSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${bytesToHex(hmac(sha256, encoder.encode(secret), encoder.encode(`${timestamp}.${body}`)))}`
}

/** Headers for a signed request with this body, as of `nowMs`. */
export function signRequest(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: computeSignature(secret, timestamp, body) }
}

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch'

export function checkSignature(
  secrets: (string | undefined)[],
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  nowMs = Date.now(),
): SignatureCheck {
  if (!timestamp || !signature) return 'missing'
  if (!/^\d{1,12}$/.test(timestamp) || !/^v1=[0-9a-f]{64}$/.test(signature)) return 'malformed'
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_S) return 'expired'
  const presented = encoder.encode(signature)
  // Every configured secret is tried, so timing does not tell which one matched.
  let ok = false
  for (const secret of secrets) if (secret && bytesEqual(encoder.encode(computeSignature(secret, timestamp, body)), presented)) ok = true
  return ok ? 'ok' : 'mismatch'
}
