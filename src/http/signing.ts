/**
 * Signed task and queue requests: `X-Lowtide-Timestamp: <unix seconds>` and
 * `X-Lowtide-Signature: v2=<hex HMAC-SHA256 of "<timestamp>\n<METHOD>\n<path>\n<body>">`, accepted
 * within ±5 minutes, compared in constant time, with the current secret or the next one (rotation
 * without downtime). The path is the app's own (`/tasks/<name>`, `/queue/deliver`: without a stage
 * or mount prefix in front of the app), so a signature for one task is no use for another.
 *
 * v1 (`"<timestamp>.<body>"`, no method or path: replayable against any task with the same body
 * within the window) is still accepted, with a warning, until V1_SUNSET — or not at all with
 * TASK_SIGNATURE_V1=off.
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
/** After this, v1 signatures are refused whatever the configuration. */
export const V1_SUNSET = '2027-04-01T00:00:00Z'

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

/** The deprecated scheme, kept for verification only. */
export function computeV1Signature(secret: string, timestamp: string, body: string): string {
  return `v1=${hex(secret, `${timestamp}.${body}`)}`
}

/** Headers for a signed request, as of `nowMs`. */
export function signRequest(secret: string, request: SignedParts, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: computeSignature(secret, timestamp, request) }
}

export type SignatureCheck = 'ok' | 'ok-v1' | 'missing' | 'malformed' | 'expired' | 'mismatch' | 'v1-refused'

export function checkSignature(
  secrets: (string | undefined)[],
  timestamp: string | undefined,
  signature: string | undefined,
  request: SignedParts,
  options: { nowMs?: number; acceptV1?: boolean } = {},
): SignatureCheck {
  const nowMs = options.nowMs ?? Date.now()
  if (!timestamp || !signature) return 'missing'
  const version = /^(v[12])=[0-9a-f]{64}$/.exec(signature)?.[1]
  if (!/^\d{1,12}$/.test(timestamp) || !version) return 'malformed'
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_S) return 'expired'
  if (version === 'v1' && (options.acceptV1 === false || nowMs >= Date.parse(V1_SUNSET))) return 'v1-refused'
  const presented = encoder.encode(signature)
  const expected = (secret: string) => (version === 'v2' ? computeSignature(secret, timestamp, request) : computeV1Signature(secret, timestamp, request.body))
  // Every configured secret is tried, so timing does not tell which one matched.
  let ok = false
  for (const secret of secrets) if (secret && bytesEqual(encoder.encode(expected(secret)), presented)) ok = true
  if (!ok) return 'mismatch'
  return version === 'v2' ? 'ok' : 'ok-v1'
}
