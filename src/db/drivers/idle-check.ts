/**
 * A pooled connection that sat idle may be dead without the process knowing: a Lambda environment
 * frozen between invocations, a NAT or proxy that forgot the connection, a server that closed it
 * while nobody read the socket. Its first statement would then fail ("Connection terminated
 * unexpectedly", `read ECONNRESET`) or wait forever. So a connection idle for longer than
 * `DB_CHECK_IDLE_AFTER_MS` answers a `SELECT 1`, bounded by half the connect timeout, before a request
 * gets it — the idea of HikariCP's alive-bypass window. Busy pools reuse connections within
 * milliseconds and never pay this round trip.
 */
import type pg from 'pg'

export class IdleCheck {
  private readonly idleSince = new WeakMap<pg.PoolClient, number>()
  /** Set when a check fails: connections idle since before then are presumed dead too, and dropped unchecked. */
  private distrustBefore = 0

  constructor(
    private readonly options: {
      /** Idle at least this long: checked before use. */
      checkAfterMs: number
      /** Idle at least this long: the pool's own idle timer should have closed it already, so it is dropped unchecked. */
      idleTimeoutMs: number
      /** How long the check may take. */
      timeoutMs: number
    },
    private readonly now: () => number = Date.now,
  ) {}

  /** Called as a connection goes back to the pool. */
  released(client: pg.PoolClient): void {
    this.idleSince.set(client, this.now())
  }

  /**
   * What to do with a connection the pool just handed out: use it (new, or recently used), check it
   * first, or drop it (idle since before a connection of the same age failed its check).
   */
  verdict(client: pg.PoolClient): 'use' | 'check' | 'drop' {
    const since = this.idleSince.get(client)
    if (since === undefined) return 'use'
    if (since < this.distrustBefore) return 'drop'
    // Wall-clock time on purpose: it jumps forward over a freeze on every platform. A thawed process
    // can serve a request before its overdue idle timers run, so the pool may still hold such a one.
    const idleMs = this.now() - since
    if (idleMs >= this.options.idleTimeoutMs) return 'drop'
    return idleMs >= this.options.checkAfterMs ? 'check' : 'use'
  }

  /** How long the connection has been idle, in ms (0 if it never was). */
  idleMs(client: pg.PoolClient): number {
    const since = this.idleSince.get(client)
    return since === undefined ? 0 : this.now() - since
  }

  /** Resolves if the connection answers within the bound; rejects with why it is unusable. */
  check(client: pg.PoolClient): Promise<void> {
    const startedAt = this.now()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no answer to SELECT 1 within ${this.options.timeoutMs} ms`)), this.options.timeoutMs)
      const fail = (err: Error) => {
        clearTimeout(timer)
        this.distrustBefore = Math.max(this.distrustBefore, startedAt)
        reject(err)
      }
      client.query('SELECT 1').then(() => {
        clearTimeout(timer)
        resolve()
      }, fail)
    })
  }
}
