/**
 * Configuration variables, each declared once: its parser (zod, with its bounds), its default and
 * its meaning. Sections (src/config/*.ts, src/domain/config.ts) declare their variables with these
 * helpers and build their typed part of the config from the parsed values; README's table of
 * variables is generated from the same declarations (`npm run docs:config`, checked by a test).
 */
import { z } from 'zod'

export interface Variable<T> {
  schema: z.ZodType<T>
  /** What it does, for README (markdown). */
  doc: string
  /** The default as README shows it: the declared default, or words where it depends (`5` on Node, `2` on Lambda). */
  defaultText: string
  /** Never echoed back in an error message. */
  secret?: boolean
}

export type Variables = Record<string, Variable<unknown>>
export type Values<V extends Variables> = { [K in keyof V]: V[K] extends Variable<infer T> ? T : never }

export type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`)
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)
const shown = (value: unknown) => (value === undefined ? '—' : `\`${String(value)}\``)

interface Common {
  doc: string
  /** Overrides how README shows the default. */
  defaultText?: string
}

/** An integer within `[min, max]`. */
export function int(options: Common & { min: number; max: number; default: number }): Variable<number>
export function int(options: Common & { min: number; max: number }): Variable<number | undefined>
export function int(options: Common & { min: number; max: number; default?: number }): Variable<number | undefined> {
  const parse = z.coerce.number().int().min(options.min).max(options.max)
  return {
    schema: z.preprocess(blankToUndefined, options.default === undefined ? parse.optional() : parse.default(options.default)),
    doc: options.doc,
    defaultText: options.defaultText ?? shown(options.default),
  }
}

/** A string, optionally checked by `refine` (message on failure). */
export function text(options: Common & { default: string; max?: number; refine?: [(v: string) => boolean, string] }): Variable<string>
export function text(options: Common & { max?: number; min?: [number, string]; refine?: [(v: string) => boolean, string]; secret?: boolean }): Variable<string | undefined>
export function text(options: Common & { default?: string; max?: number; min?: [number, string]; refine?: [(v: string) => boolean, string]; secret?: boolean }): Variable<string | undefined> {
  let parse = z.string()
  if (options.max !== undefined) parse = parse.max(options.max)
  if (options.min) parse = parse.min(options.min[0], options.min[1])
  const checked = options.refine ? parse.refine(options.refine[0], options.refine[1]) : parse
  return {
    schema: z.preprocess(blankToUndefined, options.default === undefined ? checked.optional() : checked.default(options.default)),
    doc: options.doc,
    defaultText: options.defaultText ?? (options.secret ? '—' : shown(options.default)),
    secret: options.secret,
  }
}

/** A secret string: never echoed in errors; at least `min` characters when set. */
export function secret({ min, ...options }: Common & { min?: number }): Variable<string | undefined> {
  return text({ ...options, secret: true, ...(min ? { min: [min, `must be at least ${min} characters`] as [number, string] } : {}) })
}

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(options: Common & { values: T; default: T[number] }): Variable<T[number]>
export function oneOf<const T extends readonly [string, ...string[]]>(options: Common & { values: T }): Variable<T[number] | undefined>
export function oneOf<const T extends readonly [string, ...string[]]>(options: Common & { values: T; default?: T[number] }): Variable<T[number] | undefined> {
  const parse = z.enum(options.values)
  return {
    schema: z.preprocess(blankToUndefined, options.default === undefined ? parse.optional() : parse.default(options.default as never)) as z.ZodType<T[number] | undefined>,
    doc: options.doc,
    defaultText: options.defaultText ?? shown(options.default),
  }
}

/** An http(s) URL. */
export function httpUrl(options: Common): Variable<string | undefined> {
  return { schema: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()), doc: options.doc, defaultText: options.defaultText ?? '—' }
}

/** A comma-separated list of trimmed, non-empty items. */
export function list(options: Common & { item?: [(item: string) => boolean, string] }): Variable<string[]> {
  const split = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])
  const items = z.array(options.item ? z.string().refine(options.item[0], options.item[1]) : z.string())
  return { schema: z.preprocess(split, items), doc: options.doc, defaultText: options.defaultText ?? '—' }
}

/** `max` requests per `windowS` seconds; `undefined` when the limit is turned off. */
export interface RateLimitRule {
  max: number
  windowS: number
}

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }
const RATE = /^(\d{1,7})\s*\/\s*([1-9]\d{0,5})\s*([smhd]?)$/i

/** `100/15m`, `20/1h`, `10/60s` or `off`. */
export function rateLimit(options: Common & { default: string }): Variable<RateLimitRule | undefined> {
  const parse = z
    .string()
    .trim()
    .regex(/^(off|\d{1,7}\s*\/\s*[1-9]\d{0,5}\s*[smhd]?)$/i, 'must look like 100/15m (count/window with s, m, h or d) or off')
    .transform((value): RateLimitRule | undefined => {
      if (value.toLowerCase() === 'off') return undefined
      const [, max, amount, unit] = RATE.exec(value)!
      return { max: Number(max), windowS: Number(amount) * unitSeconds[(unit || 's').toLowerCase()]! }
    })
  // prefault: the default is a setting to parse ("100/15m"), not a parsed rule.
  return { schema: z.preprocess(blankToUndefined, parse.prefault(options.default)) as z.ZodType<RateLimitRule | undefined>, doc: options.doc, defaultText: options.defaultText ?? shown(options.default) }
}

/** Parses `env` against `variables`; every bad variable is named in one ConfigError (secrets' values are not echoed). */
export function parseVariables<V extends Variables>(variables: V, env: Env): Values<V> {
  const issues: { variable: string; message: string }[] = []
  const values: Record<string, unknown> = {}
  for (const [name, variable] of Object.entries(variables)) {
    const parsed = variable.schema.safeParse(env[name])
    if (parsed.success) values[name] = parsed.data
    else {
      for (const issue of parsed.error.issues) {
        issues.push({ variable: name, message: variable.secret ? issue.message : `${issue.message} (got ${JSON.stringify(env[name] ?? null)})` })
      }
    }
  }
  if (issues.length) throw new ConfigError(issues)
  return values as Values<V>
}

export const isHttpUrl = (value: string): boolean => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
