/** Node and Lambda: SHA-256 from node:crypto (OpenSSL), handed to the app instead of the portable JavaScript one. */
import { createHash } from 'node:crypto'
import type { Sha256 } from '../src/crypto.js'

export const nodeSha256: Sha256 = (text) => createHash('sha256').update(text).digest() as Uint8Array<ArrayBuffer>
