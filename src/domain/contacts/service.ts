import { UNIQUE_VIOLATION, sqlState } from '../../db/errors.js'
import type { Db } from '../../db/types.js'
import { AppError, notFound } from '../../errors.js'
import * as repo from './repo.js'
import type { Contact, ContactInput, ContactPatch } from './schema.js'

const emailTaken = () =>
  new AppError(409, 'contact_exists', 'you already have a contact with this email', [{ path: 'email', message: 'already a contact' }])

export async function createContact(db: Db, userId: string, input: ContactInput): Promise<Contact> {
  const contact = await repo.insertContact(db, userId, input)
  if (!contact) throw emailTaken()
  return contact
}

export async function importContacts(db: Db, userId: string, contacts: ContactInput[]) {
  const inserted = new Set((await repo.importContacts(db, userId, contacts)).map((e) => e.toLowerCase()))
  const skippedEmails: string[] = []
  const counted = new Set<string>()
  for (const { email } of contacts) {
    const key = email.toLowerCase()
    if (!inserted.has(key) || counted.has(key)) skippedEmails.push(email)
    counted.add(key)
  }
  return { imported: inserted.size, skipped: skippedEmails.length, skippedEmails }
}

export async function getContact(db: Db, userId: string, id: string): Promise<Contact> {
  const contact = await repo.findContact(db, userId, id)
  if (!contact) throw notFound('contact')
  return contact
}

export async function updateContact(db: Db, userId: string, id: string, patch: ContactPatch): Promise<Contact> {
  let contact: Contact | undefined
  try {
    contact = await repo.updateContact(db, userId, id, patch)
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION) throw emailTaken()
    throw err
  }
  if (!contact) throw notFound('contact')
  return contact
}

export async function deleteContact(db: Db, userId: string, id: string): Promise<void> {
  if (!(await repo.deleteContact(db, userId, id))) throw notFound('contact')
}
