import type { Context } from 'hono'
import type { HttpConfig, PlatformDeps } from './types.js'

/**
 * The client IP used for rate limits and the ops allow-list.
 *
 * Rule: with `TRUST_PROXY_HOPS=0` (default) it is the address the platform saw (socket peer on
 * Node, API Gateway's `sourceIp`, Cloudflare's `CF-Connecting-IP`), and `X-Forwarded-For` is
 * ignored, since any client can send one. With `TRUST_PROXY_HOPS=n` the app sits behind n proxies
 * that each append the address they saw, so the n-th entry from the right is the first one a
 * client could not have forged.
 */
export function clientIpResolver(deps: { config: Pick<HttpConfig, 'trustProxyHops'>; clientIp: PlatformDeps['clientIp'] }): (c: Context) => string | undefined {
  const hops = deps.config.trustProxyHops
  if (hops === 0) return deps.clientIp
  return (c) => {
    const forwarded = c.req.header('x-forwarded-for')
    if (!forwarded) return deps.clientIp(c)
    const entries = forwarded
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    return entries[Math.max(0, entries.length - hops)] ?? deps.clientIp(c)
  }
}
