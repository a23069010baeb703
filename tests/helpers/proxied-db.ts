/** A fresh test database with a fault proxy (tools/lib/fault-proxy.ts) in front of it, for the tests that break the network. */
import pg from 'pg'
import { startFaultProxy, type FaultProxy } from '../../tools/lib/fault-proxy.js'
import { freshDatabase, type TestDatabase } from './db.js'

export interface ProxiedDatabase {
  db: TestDatabase
  proxy: FaultProxy
  /** The database's URL through the proxy. */
  url: string
  close(): Promise<void>
}

export async function proxiedDatabase(): Promise<ProxiedDatabase> {
  const db = await freshDatabase()
  const target = new URL(db.url)
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) })
  return {
    db,
    proxy,
    url: proxy.url(db.url),
    async close() {
      await proxy.close()
      await db.drop()
    },
  }
}

/** Holds a lock that makes `INSERT INTO contacts` wait, on a connection that bypasses the proxy; ROLLBACK and end it to let go. */
export async function lockContacts(databaseUrl: string): Promise<pg.Client> {
  const locker = new pg.Client({ connectionString: databaseUrl, application_name: 'lowtide-test-locker' })
  await locker.connect()
  await locker.query('BEGIN')
  await locker.query('LOCK TABLE contacts IN EXCLUSIVE MODE')
  return locker
}
