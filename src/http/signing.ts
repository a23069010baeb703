/**
 * Signed task and queue requests: `X-Lowtide-Timestamp: <unix seconds>` and
 * `X-Lowtide-Signature: v2=<hex HMAC-SHA256 of "<timestamp>\n<METHOD>\n<path>\n<body>">`, accepted
 * within ±5 minutes, compared in constant time, with the current secret or the next one (rotation
 * without downtime). The path is the app's own (`/tasks/<name>`, `/queue/deliver`: without a stage
 * or mount prefix in front of the app), so a signature for one task is no use for another.
 *
 * There is no v1: a scheme over `"<timestamp>.<body>"` alone (no method or path) would let a request
 * captured for one task run any other with the same body within the window. One that looks like it
 * is refused with a message that says how to sign instead.
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

export interface SignedParts {
  method: string
  /** The app's path, e.g. `/tasks/ledger-cleanup`. */
  path: string
  body: string
}

const encoder = new TextEncoder()
const hex = (secret: string, text: string) => bytesToHex(hmac(sha256, encoder.encode(secret), encoder.encode(text)))

export function computeSignature(secret: string, timestamp: string, request: SignedParts): string {
  return `v2=${hex(secret, `${timestamp}\n${request.method.toUpperCase()}\n${request.path}\n${request.body}`)}`
}

/** Headers for a signed request, as of `nowMs`. */
export function signRequest(secret: string, request: SignedParts, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: computeSignature(secret, timestamp, request) }
}

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch' | 'v1-refused'

export function checkSignature(
  secrets: (string | undefined)[],
  timestamp: string | undefined,
  signature: string | undefined,
  request: SignedParts,
  options: { nowMs?: number } = {},
): SignatureCheck {
  const nowMs = options.nowMs ?? Date.now()
  if (!timestamp || !signature) return 'missing'
  if (/^v1=[0-9a-f]{64}$/.test(signature)) return 'v1-refused'
  if (!/^\d{1,12}$/.test(timestamp) || !/^v2=[0-9a-f]{64}$/.test(signature)) return 'malformed'
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_S) return 'expired'
  const presented = encoder.encode(signature)
  // Every configured secret is tried, so timing does not tell which one matched.
  let ok = false
  for (const secret of secrets) if (secret && bytesEqual(encoder.encode(computeSignature(secret, timestamp, request)), presented)) ok = true
  return ok ? 'ok' : 'mismatch'
}
