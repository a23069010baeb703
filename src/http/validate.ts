import type { Context, MiddlewareHandler } from 'hono'
import { validator } from 'hono/validator'
import type { ZodType, output } from 'zod'
import { validationError } from '../errors.js'

type Target = 'json' | 'query' | 'param' | 'header'

function parse<T extends ZodType>(schema: T, value: unknown, target: Target): output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw validationError(result.error, target === 'json' ? 'body' : target)
  return result.data
}

/** Path params: for an object schema only its keys are read (Hono decodes each param it is asked for). */
function paramReader(schema: ZodType): (c: Context) => unknown {
  const shape = (schema as { shape?: Record<string, unknown> }).shape
  if (!shape) return (c) => c.req.param()
  const keys = Object.keys(shape)
  return (c) => {
    const value: Record<string, string | undefined> = {}
    for (const key of keys) value[key] = c.req.param(key)
    return value
  }
}

const readers: Record<Exclude<Target, 'json'>, (schema: ZodType) => (c: Context) => unknown> = {
  param: paramReader,
  query: () => (c) => c.req.query(),
  header: () => (c) => c.req.header(),
}

/**
 * zod validation failing with our 400 (`validation_failed`, naming the fields); `c.req.valid(target)`
 * gives the parsed value. Bodies go through Hono's validator (content type, malformed JSON → 400).
 * Other targets skip it: it reads the Content-Type header for every target, which on Node builds a
 * Headers object per request, and this sits on hot GET routes.
 */
export function validate<T extends ZodType, Tg extends Target>(target: Tg, schema: T) {
  const standard = validator(target, (value) => parse(schema, value, target))
  if (target === 'json') return standard
  const read = readers[target as Exclude<Target, 'json'>](schema)
  const fast: MiddlewareHandler = (c, next) => {
    c.req.addValidatedData(target, parse(schema, read(c), target) as object)
    return next()
  }
  return fast as unknown as typeof standard
}
