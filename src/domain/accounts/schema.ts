import { z } from 'zod'

const email = z.email().max(254)
const keyName = z.string().trim().min(1).max(100)

export const registerBody = z
  .object({
    email,
    password: z.string().min(10, 'must be at least 10 characters').max(200),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
export type RegisterInput = z.infer<typeof registerBody>

export const loginBody = z
  .object({
    email,
    password: z.string().min(1).max(200),
    keyName: keyName.optional(),
  })
  .strict()
export type LoginInput = z.infer<typeof loginBody>

export const verifyEmailBody = z.object({ token: z.string().min(16).max(200) }).strict()

export const createKeyBody = z.object({ name: keyName }).strict()

export const keyIdParam = z.object({ id: z.uuid() })

export const accountUser = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(['user', 'admin']),
  emailVerified: z.boolean(),
  createdAt: z.string(),
})
export type AccountUser = z.infer<typeof accountUser>

export const apiKeyInfo = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
})
export type ApiKeyInfo = z.infer<typeof apiKeyInfo>

/** The only answer that ever contains a key in clear. */
export const issuedKey = z.object({ apiKey: z.string(), key: apiKeyInfo })
export const loginResult = issuedKey.extend({ user: accountUser })
