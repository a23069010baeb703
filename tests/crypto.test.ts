/** SHA-256 of API keys and tokens: the portable default and node:crypto's (handed in by the Node and Lambda entries) agree. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeSha256 } from '../functions/node-crypto.js'
import { portableSha256 } from '../src/crypto.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'

describe('sha256', () => {
  it('gives the same bytes from @noble/hashes and from node:crypto, for any text', () => {
    const samples = fc.sample(fc.string({ unit: 'grapheme', maxLength: 80 }), 300).concat(['', 'lt_abc', 'héllo ✓ 🌊'])
    expect(hex(portableSha256('abc'))).toBe(ABC)
    expect(hex(nodeSha256('abc'))).toBe(ABC)
    expect(samples.map((s) => hex(nodeSha256(s)))).toEqual(samples.map((s) => hex(portableSha256(s))))
  })
})
