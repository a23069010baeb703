/** Node and Lambda: SHA-256 from node:crypto (OpenSSL) instead of the portable JavaScript one. */
import { createHash } from 'node:crypto'
import { useNativeSha256 } from '../src/crypto.js'

useNativeSha256((text) => createHash('sha256').update(text).digest() as Uint8Array<ArrayBuffer>)
