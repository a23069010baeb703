/** Transactions on a scope's connection; nesting through the handle uses savepoints. */
import type { Db, PgClientLike, Queryable, QueryResult, QueryResultRow, Statement } from './types.js'

/** What a transaction needs of its request scope (`RequestScope`): run a statement on its connection, mark that connection unusable. */
interface StatementRunner {
  run<R extends QueryResultRow>(client: PgClientLike, text: string, params?: readonly unknown[]): Promise<QueryResult<R>>
  poison(): void
  /** `BEGIN`, or `BEGIN` with the transaction's settings in the same round trip. */
  readonly beginStatement: string
}

export class Transaction implements Db {
  private childOpen = false

  private constructor(
    private readonly scope: StatementRunner,
    private readonly client: PgClientLike,
    private readonly depth: number,
  ) {}

  static async run<T>(scope: StatementRunner, client: PgClientLike, fn: (tx: Db) => Promise<T>): Promise<T> {
    return new Transaction(scope, client, 0).enclose(fn)
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.scope.run<R>(this.client, text, params)
  }

  withClient<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    return fn(this)
  }

  /** Inside a transaction a batch is a savepoint: all of it or none, without ending the transaction. */
  batch(statements: readonly Statement[]): Promise<QueryResult[]> {
    return this.withTransaction((tx) => runInOrder(tx, statements))
  }

  /** A transaction keeps its connection until it ends. */
  yieldConnection(): void {}

  async withTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.childOpen) throw new Error('a nested transaction is already open on this handle')
    this.childOpen = true
    try {
      return await new Transaction(this.scope, this.client, this.depth + 1).enclose(fn)
    } finally {
      this.childOpen = false
    }
  }

  private async enclose<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const savepoint = `lowtide_sp_${this.depth}`
    await this.query(this.depth === 0 ? this.scope.beginStatement : `SAVEPOINT ${savepoint}`)
    let result: T
    try {
      result = await fn(this)
    } catch (err) {
      // A connection whose rollback failed is in an unknown state: the scope will close, not pool, it.
      await this.query(this.depth === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`).catch(() => this.scope.poison())
      throw err
    }
    await this.query(this.depth === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`)
    return result
  }
}

/** A batch on a connection: the statements one after another inside the caller's transaction. */
export async function runInOrder(db: Db, statements: readonly Statement[]): Promise<QueryResult[]> {
  const results: QueryResult[] = []
  for (const { text, params } of statements) results.push(await db.query(text, params))
  return results
}
