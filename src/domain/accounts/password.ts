/**
 * Password hashing with WebCrypto PBKDF2-SHA256, which Node, Workers and Lambda all have.
 * Stored as `pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`, so the iteration count can change
 * without invalidating older hashes. Workers refuse more than 100 000 iterations, hence the cap.
 */
import { bytesEqual, fromBase64, randomBytes, toBase64 } from '../../crypto.js'

const SCHEME = 'pbkdf2_sha256'
export const MAX_ITERATIONS = 100_000

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)
  return new Uint8Array(bits)
}

export async function hashPassword(password: string, iterations: number): Promise<string> {
  const salt = randomBytes(16)
  const hash = await derive(password, salt, iterations)
  return `${SCHEME}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterationsText, saltText, hashText] = stored.split('$')
  const iterations = Number(iterationsText)
  if (scheme !== SCHEME || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS || !saltText || !hashText) {
    return false
  }
  return bytesEqual(await derive(password, fromBase64(saltText), iterations), fromBase64(hashText))
}

/** Spends the same time as a real check, so an unknown email cannot be told apart by timing. */
export async function burnPasswordCheck(password: string, iterations: number): Promise<false> {
  await derive(password, new Uint8Array(16), iterations)
  return false
}
