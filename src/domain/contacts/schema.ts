import { z } from 'zod'
import { pageQuery } from '../../http/pagination.js'

const name = z.string().trim().min(1).max(200)
/** Custom merge fields: `{{fields.plan}}` in a template. */
const fields = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'field names are letters, digits and _ (max 64)'), z.string().max(1000))
  .refine((f) => Object.keys(f).length <= 50, 'at most 50 fields')

export const contactInput = z
  .object({
    email: z.email().max(254),
    firstName: name.optional(),
    lastName: name.optional(),
    company: name.optional(),
    fields: fields.optional(),
  })
  .strict()
export type ContactInput = z.infer<typeof contactInput>

export const contactPatch = contactInput
  .partial()
  .extend({
    unsubscribed: z.boolean().optional(),
    /** Marks that the contact answered: follow-ups flagged "only if no reply" skip them. */
    replied: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
export type ContactPatch = z.infer<typeof contactPatch>

export const MAX_IMPORT = 1000
export const importBody = z.object({ contacts: z.array(contactInput).min(1).max(MAX_IMPORT) }).strict()

export const contactIdParam = z.object({ id: z.uuid() })

export const contactListQuery = pageQuery.extend({ unsubscribed: z.enum(['true', 'false']).optional() })

export const contact = z.object({
  id: z.uuid(),
  email: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  company: z.string().nullable(),
  fields: z.record(z.string(), z.string()),
  unsubscribedAt: z.string().nullable(),
  repliedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Contact = z.infer<typeof contact>

export const importResult = z.object({ imported: z.number().int(), skipped: z.number().int(), skippedEmails: z.array(z.string()) })
