/** Telling Lambda's HTTP events apart from the rest, and the small fixes they need before Hono. */
import type { LambdaEvent } from 'hono/aws-lambda'

/** API Gateway HTTP API (v2), REST API (v1), ALB and VPC Lattice requests: what `hono/aws-lambda` serves. */
export function isHttpEvent(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false
  const e = event as { requestContext?: Record<string, unknown>; rawPath?: unknown; httpMethod?: unknown; method?: unknown }
  if (typeof e.requestContext !== 'object' || e.requestContext === null) return false
  return ('http' in e.requestContext && typeof e.rawPath === 'string') || typeof e.httpMethod === 'string' || 'elb' in e.requestContext || 'serviceArn' in e.requestContext
}

/**
 * An HTTP API's named stage is part of `rawPath` (`/dev/health` on stage `dev`), not of the app's
 * routes; the `$default` stage has no prefix. (REST APIs give `path` without the stage already.)
 */
export function withoutStage(event: LambdaEvent): LambdaEvent {
  const e = event as LambdaEvent & { rawPath?: string; requestContext: { stage?: string; http?: { path?: string } } }
  const stage = e.requestContext.stage
  if (typeof e.rawPath !== 'string' || !stage || stage === '$default') return event
  const prefix = `/${stage}`
  if (e.rawPath !== prefix && !e.rawPath.startsWith(`${prefix}/`)) return event
  return { ...e, rawPath: e.rawPath.slice(prefix.length) || '/' } as LambdaEvent
}

/** A short, secret-free description of an event for an error message: its kind markers and keys. */
export function describeEvent(event: unknown): string {
  if (typeof event !== 'object' || event === null) return `(${event === null ? 'null' : typeof event})`
  if (Array.isArray(event)) return `(an array of ${event.length})`
  const e = event as Record<string, unknown>
  const marks = ['source', 'detail-type', 'eventSource', 'version'].filter((k) => typeof e[k] === 'string').map((k) => `${k}: ${JSON.stringify(String(e[k]).slice(0, 60))}`)
  const records = Array.isArray(e.Records) ? [`Records[0].eventSource: ${JSON.stringify((e.Records[0] as { eventSource?: unknown } | undefined)?.eventSource ?? null)}`] : []
  return `{${[...marks, ...records, `keys: ${Object.keys(e).slice(0, 12).join(', ') || '(none)'}`].join('; ')}}`
}
