import type { Queryable } from '../../db/types.js'
import { accountColumns } from '../accounts/repo.js'

export interface AdminUserRow {
  id: string
  email: string
  name: string | null
  role: 'user' | 'admin'
  emailVerified: boolean
  createdAt: string
  creditBalance: number
}

export async function listUsers(db: Queryable, keysetWhere: string, params: unknown[], limit: number): Promise<AdminUserRow[]> {
  const { rows } = await db.query<AdminUserRow>(
    `SELECT ${accountColumns}, credit_balance::int AS "creditBalance" FROM users
     WHERE ${keysetWhere} ORDER BY created_at DESC, id DESC LIMIT $1`,
    [limit + 1, ...params],
  )
  return rows
}
