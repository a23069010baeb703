/**
 * API keys: `lt_` + 32 random bytes (base64url). Only their SHA-256 is stored: a key has 256 bits of
 * entropy, so a fast hash is enough (unlike passwords), and lookup stays one index probe.
 */
import { portableSha256, randomToken, type Sha256 } from '../../crypto.js'

export const API_KEY_PREFIX = 'lt_'
export const apiKeyPattern = /^lt_[A-Za-z0-9_-]{43}$/

export interface NewApiKey {
  key: string
  /** Shown in listings to tell keys apart: `lt_` and the first 8 characters. */
  prefix: string
  hash: Uint8Array
}

export function generateApiKey(sha256: Sha256 = portableSha256): NewApiKey {
  const key = API_KEY_PREFIX + randomToken(32)
  return { key, prefix: key.slice(0, 11), hash: sha256(key) }
}
