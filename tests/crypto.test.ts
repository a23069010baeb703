/** SHA-256 of API keys and tokens: the portable default and node:crypto's (installed by the Node and Lambda entries) agree. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256Bytes, useNativeSha256 } from '../src/crypto.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'

describe('sha256Bytes', () => {
  it('gives the same bytes from @noble/hashes and from node:crypto, for any text', async () => {
    const samples = fc.sample(fc.string({ unit: 'grapheme', maxLength: 80 }), 300).concat(['', 'lt_abc', 'héllo ✓ 🌊'])
    const portable = samples.map((s) => hex(sha256Bytes(s)))
    expect(hex(sha256Bytes('abc'))).toBe(ABC)
    await import('../functions/node-crypto.js')
    expect(hex(sha256Bytes('abc'))).toBe(ABC)
    expect(samples.map((s) => hex(sha256Bytes(s)))).toEqual(portable)
    useNativeSha256((text) => new Uint8Array(32).fill(text.length) as Uint8Array<ArrayBuffer>) // and the switch is real
    expect(hex(sha256Bytes('abc'))).not.toBe(ABC)
  })
})
