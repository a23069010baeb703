/**
 * `npm run dev:worker` hands its secrets to `wrangler dev` in a file only this user can read, not on
 * the command line (where `ps` shows them): checked with the real `wrangler dev`, which must then
 * answer /readyz with the token from that file.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../tools/lib/free-port.js'
import { wranglerDevArgs, writeDevVars } from '../tools/dev-worker.js'
import { ROOT } from '../tools/build-worker.js'
import { freshDatabase, type TestDatabase } from './helpers/db.js'

let db: TestDatabase
beforeAll(async () => {
  db = await freshDatabase()
})
afterAll(() => db.drop())

describe('npm run dev:worker secrets', () => {
  it('writes them to a 0600 file in a private directory, keeps them off argv, and wrangler dev uses them', async () => {
    const token = `dev-ops-token-${Math.random().toString(36).slice(2)}`
    const vars = writeDevVars({ DATABASE_URL: db.url, OPS_TOKEN: token, TASK_SIGNING_SECRET: 's'.repeat(40) })
    try {
      expect(fs.statSync(vars.file).mode & 0o777).toBe(0o600)
      expect(fs.statSync(path.dirname(vars.file)).mode & 0o777).toBe(0o700)
      const port = String(await freePort())
      const args = wranglerDevArgs(port, vars.file, path.join(os.tmpdir(), 'no-such-project', '.dev.vars'))
      for (const secret of [db.url, token, 's'.repeat(40)]) expect(args.join(' ')).not.toContain(secret)

      const wrangler = spawn(process.execPath, [path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      wrangler.stdout.on('data', (d) => (output += d))
      wrangler.stderr.on('data', (d) => (output += d))
      try {
        let status = 0
        for (const started = Date.now(); Date.now() - started < 60_000 && wrangler.exitCode === null; await new Promise((r) => setTimeout(r, 250))) {
          status = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status, () => 0)
          if (status !== 0) break
        }
        expect([status, wrangler.exitCode]).toEqual([200, null])
      } finally {
        wrangler.kill('SIGTERM')
        await new Promise((r) => wrangler.once('exit', r))
      }
      expect(output).not.toContain(token)
    } finally {
      vars.remove()
    }
    expect(fs.existsSync(vars.file)).toBe(false)
  }, 90_000)
})
