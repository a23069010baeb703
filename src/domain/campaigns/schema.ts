import { z } from 'zod'
import { pageQuery } from '../../http/pagination.js'
import { campaignStatuses } from './state.js'
import { templateProblems } from './template.js'

export const MAX_TARGETED_CONTACTS = 10_000
export const MAX_FOLLOW_UPS = 10

const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      for (const message of templateProblems(text)) ctx.addIssue({ code: 'custom', message })
    })
const subject = template(500)
const body = template(50_000)

export const followUpInput = z
  .object({
    /** After the previous step reached the contact. */
    delayMinutes: z.number().int().min(1).max(365 * 24 * 60),
    /** Skip contacts who replied in the meantime. @default true */
    onlyIfNoReply: z.boolean().default(true),
    /** Defaults to the campaign's subject and body. */
    subject: subject.optional(),
    body: body.optional(),
  })
  .strict()

const campaignFields = {
  name: z.string().trim().min(1).max(200),
  fromEmail: z.email().max(254),
  fromName: z.string().trim().min(1).max(200).optional(),
  subject,
  body,
  /** The contacts to reach, by id; or `allContacts: true` for every contact you have now. */
  contactIds: z.array(z.uuid()).max(MAX_TARGETED_CONTACTS).optional(),
  allContacts: z.boolean().optional(),
  /** When the first emails go out; now if absent or past. */
  startAt: z.iso.datetime({ offset: true }).optional(),
  followUps: z.array(followUpInput).max(MAX_FOLLOW_UPS).optional(),
}

const oneTargeting = (c: { contactIds?: unknown; allContacts?: boolean | undefined }) => !(c.contactIds !== undefined && c.allContacts)
const targetingMessage = { message: 'give contactIds or allContacts, not both', path: ['allContacts'] }

export const createCampaignBody = z.object(campaignFields).strict().refine(oneTargeting, targetingMessage)
export type CreateCampaignInput = z.infer<typeof createCampaignBody>

export const updateCampaignBody = z
  .object(campaignFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
  .refine(oneTargeting, targetingMessage)
export type UpdateCampaignInput = z.infer<typeof updateCampaignBody>

export const campaignIdParam = z.object({ id: z.uuid() })
export const campaignListQuery = pageQuery.extend({ status: z.enum(campaignStatuses).optional() })

export const campaignStats = z.object({
  pending: z.number().int(),
  sending: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  cancelled: z.number().int(),
  total: z.number().int(),
})
export type CampaignStats = z.infer<typeof campaignStats>

export const campaignStep = z.object({
  position: z.number().int(),
  delayMinutes: z.number().int(),
  onlyIfNoReply: z.boolean(),
  subject: z.string().nullable(),
  body: z.string().nullable(),
})

export const campaign = z.object({
  id: z.uuid(),
  name: z.string(),
  fromEmail: z.string(),
  fromName: z.string().nullable(),
  subject: z.string(),
  body: z.string(),
  status: z.enum(campaignStatuses),
  statusReason: z.string().nullable(),
  startAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  contactCount: z.number().int(),
  /** Step 1 is the first email; later steps are the follow-ups. */
  steps: z.array(campaignStep),
  stats: campaignStats,
})
export type Campaign = z.infer<typeof campaign>
