/**
 * The request scope: at most one connection per request or task run, acquired on first use and
 * given back when the scope ends — after success, throw, timeout or client abort alike. A scope that
 * ends with a statement still running cancels it and closes that connection instead of pooling it.
 */
import { ScopeClosedError } from './errors.js'
import { Transaction } from './transaction.js'
import type { ConnectionSource, Db, Lease, PgClientLike, Queryable, QueryResult, QueryResultRow } from './types.js'

export class RequestScope implements Db {
  private lease: Lease | undefined
  private acquiring: Promise<Lease> | undefined
  private closed: string | undefined
  private inFlight = 0
  private poisoned = false
  /** Set while a top-level transaction is open; a connection in that state is never pooled. */
  transactionOpen = false

  constructor(private readonly source: ConnectionSource) {}

  get holdsConnection(): boolean {
    return this.lease !== undefined
  }

  get isClosed(): boolean {
    return this.closed !== undefined
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.run<R>(await this.connection(), text, params)
  }

  async withClient<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    const client = await this.connection()
    return fn({ query: (text, params) => this.run(client, text, params) })
  }

  async withTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.transactionOpen) {
      throw new Error('a transaction is already open in this scope: nest through the transaction handle (tx.withTransaction)')
    }
    const client = await this.connection()
    this.transactionOpen = true
    try {
      return await Transaction.run(this, client, fn)
    } finally {
      this.transactionOpen = false
    }
  }

  /** Runs one statement on the scope's connection; refuses once the scope has ended. */
  async run<R extends QueryResultRow>(client: PgClientLike, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    if (this.closed) throw new ScopeClosedError(this.closed)
    this.inFlight++
    try {
      return await client.query<R>(text, params as unknown[] | undefined)
    } finally {
      this.inFlight--
    }
  }

  /** The connection's state is unknown (e.g. a failed ROLLBACK): close it at the end instead of pooling it. */
  poison(): void {
    this.poisoned = true
  }

  /** Ends the scope normally: the connection goes back (or is closed if it is not clean). */
  end(): Promise<void> {
    return this.close('request ended')
  }

  /** Ends the scope early (timeout, client abort): the running statement is cancelled first. */
  abort(reason: string): Promise<void> {
    return this.close(reason)
  }

  private async close(reason: string): Promise<void> {
    if (this.closed) return
    this.closed = reason
    const lease = this.lease ?? (await this.acquiring?.catch(() => undefined))
    this.lease = undefined
    if (!lease) return
    const dirty = this.inFlight > 0 || this.transactionOpen || this.poisoned
    if (this.inFlight > 0) await this.source.cancel(lease.client).catch(() => undefined)
    await lease.release(dirty)
  }

  private connection(): Promise<PgClientLike> {
    if (this.closed) return Promise.reject(new ScopeClosedError(this.closed))
    if (this.lease) return Promise.resolve(this.lease.client)
    this.acquiring ??= this.source.acquire().then(
      (lease) => {
        this.lease = lease
        return lease
      },
      (err: unknown) => {
        this.acquiring = undefined
        throw err
      },
    )
    return this.acquiring.then((lease) => {
      if (this.closed) throw new ScopeClosedError(this.closed)
      return lease.client
    })
  }
}
