import type { Db } from '../../db/types.js'
import { AppError, notFound } from '../../errors.js'
import { findUserById, insertUser } from './repo.js'
import type { CreateUserInput, User } from './schema.js'

export async function createUser(db: Db, input: CreateUserInput): Promise<User> {
  const user = await insertUser(db, input)
  if (!user) throw new AppError(409, 'email_taken', 'a user with this email already exists', [{ path: 'email', message: 'already registered' }])
  return user
}

export async function getUser(db: Db, id: string): Promise<User> {
  const user = await findUserById(db, id)
  if (!user) throw notFound('user')
  return user
}
