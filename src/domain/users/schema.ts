import { z } from 'zod'

export const createUserBody = z
  .object({
    email: z.email().max(254),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict()

export type CreateUserInput = z.infer<typeof createUserBody>

export const userIdParam = z.object({ id: z.uuid() })

export interface User {
  id: string
  email: string
  name: string | null
  createdAt: string
}
