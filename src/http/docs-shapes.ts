import { z, type ZodType } from 'zod'

/** The shape of every list answer (see `pagination.ts`). */
export const pageOf = (item: ZodType) => z.object({ items: z.array(item), nextCursor: z.string().nullable() })
