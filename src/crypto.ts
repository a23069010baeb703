/**
 * Small crypto helpers that run the same on Node, Workers and Lambda. SHA-256 of short strings
 * (API keys, tokens) is synchronous: WebCrypto's `subtle.digest` is async and, on Node 20, costs
 * about 65 µs of CPU per call — on a route that checks an API key, that was a quarter of the
 * request's CPU time (measured with bench:http). `portableSha256` (@noble/hashes) runs everywhere;
 * the Node and Lambda entries hand the app node:crypto's (functions/node-crypto.ts), about 3 µs
 * cheaper per call, as the `sha256` dependency.
 */
import { sha256 } from '@noble/hashes/sha2.js'

const encoder = new TextEncoder()

/** SHA-256 of a UTF-8 string. Every implementation must give the same bytes. */
export type Sha256 = (text: string) => Uint8Array<ArrayBuffer>

export const portableSha256: Sha256 = (text) => sha256(encoder.encode(text)) as Uint8Array<ArrayBuffer>

/** Equal in time independent of where the arrays differ (the length is not secret). */
export function bytesEqual(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false
  let diff = 0
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!
  return diff === 0
}

/**
 * Compares two secrets in time independent of where they differ: both are hashed first, so the
 * comparison always walks 32 bytes whatever their lengths.
 */
export function timingSafeEqualText(a: string, b: string): boolean {
  return bytesEqual(portableSha256(a), portableSha256(b))
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0))
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length))
}

export function randomToken(bytes = 24): string {
  return toBase64Url(randomBytes(bytes))
}
