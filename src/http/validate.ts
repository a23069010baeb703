import { zValidator } from '@hono/zod-validator'
import type { ZodType } from 'zod'
import { validationError } from '../errors.js'

type Target = 'json' | 'query' | 'param' | 'header'

/** zod validation that fails with our 400 (`validation_failed`, naming the fields). */
export function validate<T extends ZodType, Tg extends Target>(target: Tg, schema: T) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw validationError(result.error, target === 'json' ? 'body' : target)
  })
}
