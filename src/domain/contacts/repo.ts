import type { Queryable } from '../../db/types.js'
import type { Contact, ContactInput, ContactPatch } from './schema.js'

const columns = `id, email, first_name AS "firstName", last_name AS "lastName", company, fields,
  to_json(unsubscribed_at)#>>'{}' AS "unsubscribedAt", to_json(replied_at)#>>'{}' AS "repliedAt",
  to_json(created_at)#>>'{}' AS "createdAt", to_json(updated_at)#>>'{}' AS "updatedAt"`

/** `undefined` when the user already has a contact with this email. */
export async function insertContact(db: Queryable, userId: string, input: ContactInput): Promise<Contact | undefined> {
  const { rows } = await db.query<Contact>(
    `INSERT INTO contacts (user_id, email, first_name, last_name, company, fields)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (user_id, lower(email)) DO NOTHING
     RETURNING ${columns}`,
    [userId, input.email, input.firstName ?? null, input.lastName ?? null, input.company ?? null, input.fields ?? {}],
  )
  return rows[0]
}

/** Up to 1 000 contacts in one statement; existing emails (and repeats within the batch) are skipped. */
export async function importContacts(db: Queryable, userId: string, contacts: ContactInput[]): Promise<string[]> {
  const { rows } = await db.query<{ email: string }>(
    `INSERT INTO contacts (user_id, email, first_name, last_name, company, fields)
     SELECT $1, c.email, c."firstName", c."lastName", c.company, coalesce(c.fields, '{}')
     FROM jsonb_to_recordset($2::jsonb) AS c(email text, "firstName" text, "lastName" text, company text, fields jsonb)
     ON CONFLICT (user_id, lower(email)) DO NOTHING
     RETURNING email`,
    [userId, JSON.stringify(contacts)],
  )
  return rows.map((r) => r.email)
}

export async function findContact(db: Queryable, userId: string, id: string): Promise<Contact | undefined> {
  const { rows } = await db.query<Contact>(`SELECT ${columns} FROM contacts WHERE id = $1 AND user_id = $2`, [id, userId])
  return rows[0]
}

export async function listContacts(
  db: Queryable,
  userId: string,
  unsubscribed: boolean | undefined,
  keysetWhere: string,
  params: unknown[],
  limit: number,
): Promise<Contact[]> {
  const { rows } = await db.query<Contact>(
    `SELECT ${columns} FROM contacts
     WHERE user_id = $1 AND ($3::boolean IS NULL OR (unsubscribed_at IS NOT NULL) = $3) AND ${keysetWhere}
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [userId, limit + 1, unsubscribed ?? null, ...params],
  )
  return rows
}

/** Only the fields present in `patch` change; `undefined` if not found, `'email_taken'` on a duplicate email. */
export async function updateContact(db: Queryable, userId: string, id: string, patch: ContactPatch): Promise<Contact | undefined> {
  const has = (key: keyof ContactPatch) => key in patch
  const { rows } = await db.query<Contact>(
    `UPDATE contacts SET
       email           = CASE WHEN $3 THEN $4 ELSE email END,
       first_name      = CASE WHEN $5 THEN $6 ELSE first_name END,
       last_name       = CASE WHEN $7 THEN $8 ELSE last_name END,
       company         = CASE WHEN $9 THEN $10 ELSE company END,
       fields          = CASE WHEN $11 THEN $12::jsonb ELSE fields END,
       unsubscribed_at = CASE WHEN $13::boolean IS NULL THEN unsubscribed_at WHEN $13 THEN coalesce(unsubscribed_at, now()) END,
       replied_at      = CASE WHEN $14::boolean IS NULL THEN replied_at WHEN $14 THEN coalesce(replied_at, now()) END,
       updated_at      = now()
     WHERE id = $1 AND user_id = $2
     RETURNING ${columns}`,
    [
      id,
      userId,
      has('email'),
      patch.email ?? null,
      has('firstName'),
      patch.firstName ?? null,
      has('lastName'),
      patch.lastName ?? null,
      has('company'),
      patch.company ?? null,
      has('fields'),
      JSON.stringify(patch.fields ?? {}),
      patch.unsubscribed ?? null,
      patch.replied ?? null,
    ],
  )
  return rows[0]
}

export async function deleteContact(db: Queryable, userId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM contacts WHERE id = $1 AND user_id = $2`, [id, userId])
  return (rowCount ?? 0) > 0
}
