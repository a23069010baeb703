import { UNIQUE_VIOLATION, sqlState } from '../../db/errors.js'
import type { Queryable } from '../../db/types.js'
import type { CreateUserInput, User } from './schema.js'

const columns = `id, email, name, to_json(created_at)#>>'{}' AS "createdAt"`

/** Inserts a user; `undefined` when the email (case-insensitively) is taken. */
export async function insertUser(db: Queryable, input: CreateUserInput): Promise<User | undefined> {
  try {
    const { rows } = await db.query<User>(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING ${columns}`, [
      input.email,
      input.name ?? null,
    ])
    return rows[0]
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) return undefined
    throw err
  }
}

export async function findUserById(db: Queryable, id: string): Promise<User | undefined> {
  const { rows } = await db.query<User>(`SELECT ${columns} FROM users WHERE id = $1`, [id])
  return rows[0]
}
