import type { ConnectionSource, Lease } from '../../src/db/types.js'

/** Every SQL statement run through a source, in order: for "bounded number of statements" checks. */
export class StatementLog {
  readonly statements: string[] = []

  get count(): number {
    return this.statements.length
  }

  reset(): void {
    this.statements.length = 0
  }

  /** Wraps `inner` so each `client.query` is recorded before it runs (on the real connection). */
  wrap = (inner: ConnectionSource): ConnectionSource => {
    const log = this.statements
    return {
      name: inner.name,
      mode: inner.mode,
      cancel: (client) => inner.cancel((client as { inner?: Lease['client'] }).inner ?? client),
      stats: () => inner.stats(),
      end: () => inner.end(),
      async acquire(label) {
        const lease = await inner.acquire(label)
        const client = {
          inner: lease.client,
          get processID() {
            return lease.client.processID
          },
          get secretKey() {
            return lease.client.secretKey
          },
          query(text: string, params?: readonly unknown[]) {
            log.push(text.replace(/\s+/g, ' ').trim())
            return lease.client.query(text, params)
          },
        }
        return { client: client as Lease['client'], release: (destroy) => lease.release(destroy) }
      },
    } as ConnectionSource
  }
}
