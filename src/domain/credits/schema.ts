import { z } from 'zod'

export const creditKinds = ['grant', 'consume', 'refund'] as const
export type CreditKind = (typeof creditKinds)[number]

export const balance = z.object({ balance: z.number().int(), lowCreditThreshold: z.number().int(), low: z.boolean() })
export type Balance = z.infer<typeof balance>

export const creditTransaction = z.object({
  id: z.string(),
  kind: z.enum(creditKinds),
  amount: z.number().int(),
  balanceAfter: z.number().int(),
  reason: z.string().nullable(),
  reference: z.string().nullable(),
  createdAt: z.string(),
})
export type CreditTransaction = z.infer<typeof creditTransaction>

export const thresholdBody = z.object({ threshold: z.number().int().min(0).max(1_000_000) }).strict()

/** Admins grant credits or refund consumed ones; consuming is the dispatcher's, one credit per email. */
export const adjustCreditsBody = z
  .object({
    kind: z.enum(['grant', 'refund']),
    amount: z.number().int().min(1).max(1_000_000),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
