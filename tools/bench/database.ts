import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres } from '../lib/embedded-postgres.js'

/** DATABASE_URL when set, otherwise a throwaway embedded Postgres for one benchmark run. */
export async function setUpBenchDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined }
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-bench-'))
  fs.chmodSync(parent, 0o777)
  const pg = await startEmbeddedPostgres({ dataDir: path.join(parent, 'pgdata'), persistent: false })
  return {
    url: pg.url,
    async stop() {
      await pg.stop()
      fs.rmSync(parent, { recursive: true, force: true })
    },
  }
}
