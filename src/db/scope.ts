/**
 * The request scope: at most one connection per request or task run, acquired on first use and
 * given back when the scope ends — after success, throw, timeout or client abort alike. A scope that
 * ends with a statement still running cancels it and closes that connection instead of pooling it.
 *
 * This sits on every request's path, so it avoids work it does not need: no connection, no promise
 * chain, and no allocation beyond the scope object until the first query.
 */
import { DbUnavailableError, isConnectionLoss, isSaturation, saturatedError, ScopeClosedError } from './errors.js'
import { runInOrder, Transaction } from './transaction.js'
import type { ConnectionSource, Db, Lease, PgClientLike, Queryable, QueryResult, QueryResultRow, Statement, StatementChannel } from './types.js'

export class RequestScope implements Db {
  private lease: Lease | undefined
  private acquiring: Promise<Lease> | undefined
  private closed: string | undefined
  private closing: Promise<void> | undefined
  private inFlight = 0
  private poisoned = false
  /** Aborts statements sent without a connection (`neon-http`) when the scope is cut short. */
  private httpAbort: AbortController | undefined
  /** Set while a top-level transaction is open; a connection in that state is never pooled. */
  transactionOpen = false

  /** `label` is asked for at acquire time only, e.g. the matched route of the request. */
  constructor(
    private readonly source: ConnectionSource,
    private readonly label?: () => string,
  ) {}

  get holdsConnection(): boolean {
    return this.lease !== undefined
  }

  get isClosed(): boolean {
    return this.closed !== undefined
  }

  // Not `async`: once the scope holds its connection, a query is the driver's own promise, with no
  // wrapper around it (this is the hot path of every request).
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const client = this.lease?.client
    if (client) return this.run<R>(client, text, params)
    const channel = this.channel()
    if (channel) return this.send(() => channel.query<R>(text, params, this.abortSignal()))
    return this.connect().then((connected) => this.run<R>(connected, text, params))
  }

  async batch(statements: readonly Statement[]): Promise<QueryResult[]> {
    const channel = this.channel()
    if (channel) return this.send(() => channel.batch(statements, this.abortSignal()))
    return this.withTransaction((tx) => runInOrder(tx, statements))
  }

  async withClient<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    const client = this.lease?.client ?? (await this.connect())
    return fn({ query: (text, params) => this.run(client, text, params) })
  }

  async withTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.transactionOpen) {
      throw new Error('a transaction is already open in this scope: nest through the transaction handle (tx.withTransaction)')
    }
    const client = this.lease?.client ?? (await this.connect())
    this.transactionOpen = true
    try {
      return await Transaction.run(this, client, fn)
    } finally {
      this.transactionOpen = false
    }
  }

  /**
   * Runs one statement on the scope's connection; refuses once the scope has ended. Where the server
   * was not told the statement timeout (behind a transaction-mode pooler), a statement running longer
   * is cancelled from here: a cancel request, which poolers forward to the server connection.
   */
  async run<R extends QueryResultRow>(client: PgClientLike, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    if (this.closed !== undefined) throw new ScopeClosedError(this.closed)
    this.inFlight++
    const limit = this.source.statementTimeoutMs
    const timer = limit ? setTimeout(() => void this.source.cancel(client).catch(() => undefined), limit) : undefined
    try {
      return await client.query<R>(text, params as unknown[] | undefined)
    } catch (err) {
      throw this.classify(err, client)
    } finally {
      clearTimeout(timer)
      this.inFlight--
    }
  }

  /** How a transaction starts: with the statement timeout as `SET LOCAL` (one round trip) where the session does not have it. */
  get beginStatement(): string {
    const limit = this.source.statementTimeoutMs
    return limit ? `BEGIN; SET LOCAL statement_timeout = ${Math.floor(limit)}` : 'BEGIN'
  }

  /** A statement's failure: a lost connection is poisoned (destroyed at the end, never pooled) and becomes a 503. */
  private classify(err: unknown, client: PgClientLike): unknown {
    // A pooler that gave up waiting for a server connection for us (PgBouncer's query_wait_timeout) closes ours too.
    if (isSaturation(err)) {
      this.poisoned = true
      return err instanceof DbUnavailableError ? err : saturatedError(err)
    }
    if (!isConnectionLoss(err, client)) return err
    this.poisoned = true
    if (err instanceof DbUnavailableError) return err
    return new DbUnavailableError('connection_lost', `the database connection was lost: ${(err as Error).message}`, 1, { cause: err })
  }

  /** The connectionless path, while the scope holds (or waits for) no connection: a connection's session wins once it exists. */
  private channel(): StatementChannel | undefined {
    return this.acquiring === undefined ? this.source.statements : undefined
  }

  private abortSignal(): AbortSignal {
    return (this.httpAbort ??= new AbortController()).signal
  }

  private send<T>(request: () => Promise<T>): Promise<T> {
    if (this.closed !== undefined) return Promise.reject(new ScopeClosedError(this.closed))
    this.inFlight++
    let sent: Promise<T>
    try {
      sent = request()
    } catch (err) {
      this.inFlight--
      return Promise.reject(err)
    }
    // `then` rather than an async frame: one promise less on every connectionless statement.
    return sent.then(
      (result) => {
        this.inFlight--
        return result
      },
      (err: unknown) => {
        this.inFlight--
        throw this.closed !== undefined ? new ScopeClosedError(this.closed) : err
      },
    )
  }

  yieldConnection(): Promise<void> | void {
    const lease = this.lease
    if (!lease || this.source.mode !== 'pool' || this.closed !== undefined || this.transactionOpen || this.inFlight > 0) return
    const poisoned = this.poisoned
    this.lease = undefined
    this.acquiring = undefined
    this.poisoned = false
    return lease.release(poisoned)
  }

  /** The connection's state is unknown (e.g. a failed ROLLBACK): close it at the end instead of pooling it. */
  poison(): void {
    this.poisoned = true
  }

  /**
   * Ends the scope normally: the connection goes back (or is closed if it is not clean). Returns
   * `undefined` when there was nothing to give back, so callers can skip an await.
   */
  end(): Promise<void> | undefined {
    if (this.closed !== undefined) return this.closing
    const lease = this.lease
    if (this.inFlight === 0 && (this.acquiring === undefined || (lease && !this.transactionOpen && !this.poisoned))) {
      // The common cases, without an async step: nothing acquired, or a clean connection to hand back.
      this.closed = 'request ended'
      this.lease = undefined
      return lease?.release(false) ?? undefined
    }
    return this.close('request ended')
  }

  /** Ends the scope early (timeout, client abort): the running statement is cancelled first. */
  abort(reason: string): Promise<void> {
    return this.close(reason)
  }

  /** The first close wins; later calls (the end after an abort) share its promise. */
  private close(reason: string): Promise<void> {
    if (this.closed === undefined) {
      this.closed = reason
      this.closing = this.giveBack()
    }
    return this.closing ?? Promise.resolve()
  }

  private async giveBack(): Promise<void> {
    this.httpAbort?.abort()
    const lease = this.lease ?? (await this.acquiring?.catch(() => undefined))
    this.lease = undefined
    if (!lease) return
    const dirty = this.inFlight > 0 || this.transactionOpen || this.poisoned
    if (this.inFlight > 0) await this.source.cancel(lease.client).catch(() => undefined)
    await lease.release(dirty)
  }

  private async connect(): Promise<PgClientLike> {
    if (this.closed !== undefined) throw new ScopeClosedError(this.closed)
    this.acquiring ??= this.source.acquire(this.label?.())
    let lease: Lease
    try {
      // Awaited directly (no .then/.catch on the way) so V8's async stack trace, captured at
      // acquire for leak warnings, reaches back to the code that ran the query.
      lease = await this.acquiring
    } catch (err) {
      this.acquiring = undefined
      throw err
    }
    // Ended while we waited for the pool: close() takes care of giving this lease back.
    if (this.closed !== undefined) throw new ScopeClosedError(this.closed)
    this.lease = lease
    return lease.client
  }
}
