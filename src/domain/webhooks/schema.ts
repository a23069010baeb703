import { z } from 'zod'
import { pageQuery } from '../../http/pagination.js'

/** The events a user's endpoints can subscribe to. */
export const webhookEventTypes = [
  'campaign.started',
  'campaign.paused',
  'campaign.completed',
  'email.sent',
  'email.failed',
  'credits.low',
  'webhook.disabled',
  'schedule.missed',
  'schedule.failing',
] as const
export type WebhookEventType = (typeof webhookEventTypes)[number]
/** A schedule stopped or keeps failing (src/domain/admin/schedule-alerts.ts): only admins' endpoints get these. */
export const adminEventTypes = ['schedule.missed', 'schedule.failing'] as const satisfies readonly WebhookEventType[]

const url = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048)
  // Refinements run even when the URL check failed: parse defensively.
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), 'must not contain credentials')
const eventTypes = z
  .array(z.enum(webhookEventTypes))
  .min(1)
  .max(webhookEventTypes.length)
  .refine((list) => new Set(list).size === list.length, 'event types repeat')

export const createEndpointBody = z
  .object({
    url,
    eventTypes,
    description: z.string().trim().min(1).max(500).optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
export type CreateEndpointInput = z.infer<typeof createEndpointBody>

export const updateEndpointBody = z
  .object({ url, eventTypes, description: z.string().trim().min(1).max(500).nullable(), enabled: z.boolean() })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
export type UpdateEndpointInput = z.infer<typeof updateEndpointBody>

export const endpointIdParam = z.object({ id: z.uuid() })
export const deliveryListQuery = pageQuery

export const endpoint = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.enum(webhookEventTypes)),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Endpoint = z.infer<typeof endpoint>

/** Only the create answer carries the signing secret. */
export const createdEndpoint = endpoint.extend({ secret: z.string() })

export const delivery = z.object({
  id: z.uuid(),
  eventType: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed', 'dead']),
  attempts: z.number().int(),
  responseStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Delivery = z.infer<typeof delivery>

export const deliveryIdParam = z.object({ id: z.uuid() })
export const replaySinceBody = z.object({ since: z.iso.datetime({ offset: true }) }).strict()
export const testResult = z.object({ deliveryId: z.uuid() })
export const replayResult = z.object({ replayed: z.number().int() })
