/**
 * Where webhooks may go. A URL whose host is, or resolves to, a private, loopback, link-local
 * (cloud metadata included), CGNAT, multicast or otherwise non-public address is refused unless the
 * host is in `WEBHOOK_ALLOW_HOSTS`. Checked at registration and again at every delivery; on Node
 * and Lambda the delivery's own connection re-checks each address it connects to, so a DNS answer
 * that changes in between (rebinding) does not get through.
 */
import ipaddr from 'ipaddr.js'
import { isForbiddenAddress } from '../../http/public-address.js'

export { isForbiddenAddress }

const blockedNames = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /^metadata$/]

export interface DestinationPolicy {
  /** Hosts (names or addresses) exempt from the checks, e.g. `127.0.0.1` in tests. */
  allowHosts: readonly string[]
  /** All addresses of a host name; absent where the platform cannot resolve (Workers: Cloudflare refuses private destinations itself). */
  resolve?: (host: string) => Promise<string[]>
}

/** Why `url` may not receive webhooks, or `undefined` when it may. */
export async function refusedDestination(url: string, policy: DestinationPolicy): Promise<string | undefined> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'not a URL'
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (policy.allowHosts.includes(host)) return undefined
  // The URL parser has already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
  const literal = ipaddr.isValid(host)
  if (literal) return isForbiddenAddress(host) ? `${host} is not a public address` : undefined
  if (blockedNames.some((re) => re.test(host))) return `${host} is not a public host name`
  if (!policy.resolve) return undefined
  let addresses: string[]
  try {
    addresses = await policy.resolve(host)
  } catch (err) {
    return `${host} does not resolve (${(err as Error).message})`
  }
  const bad = addresses.find(isForbiddenAddress)
  return bad ? `${host} resolves to ${bad}, not a public address` : addresses.length ? undefined : `${host} does not resolve`
}
