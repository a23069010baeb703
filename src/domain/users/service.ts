import type { Db } from '../../db/types.js'
import { notFound } from '../../errors.js'
import type { AuthUser } from '../env.js'
import { findAccount } from '../accounts/repo.js'
import type { AccountUser } from '../accounts/schema.js'

/** A user sees themself; an admin sees anyone. Anyone else gets the same 404 as for an unknown id. */
export async function getUser(db: Db, viewer: AuthUser, id: string): Promise<AccountUser> {
  if (viewer.id !== id && viewer.role !== 'admin') throw notFound('user')
  const user = await findAccount(db, id)
  if (!user) throw notFound('user')
  return user
}
