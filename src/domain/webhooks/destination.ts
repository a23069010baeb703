/**
 * Where webhooks may go. A URL whose host is, or resolves to, a private, loopback, link-local
 * (cloud metadata included), CGNAT, multicast or otherwise non-public address is refused unless the
 * host is in `WEBHOOK_ALLOW_HOSTS`. Checked at registration and again at every delivery; on Node
 * and Lambda the delivery's own connection re-checks each address it connects to, so a DNS answer
 * that changes in between (rebinding) does not get through.
 */
import ipaddr from 'ipaddr.js'

/**
 * An address may receive webhooks only if it is plainly public unicast, in every encoding: IPv4
 * that ipaddr.js calls `unicast` (not private, loopback, link-local, CGNAT, reserved, documentation,
 * benchmarking, multicast…), or IPv6 in the global unicast block 2000::/3 that ipaddr.js also calls
 * `unicast` (not unique-local, site-local, 6to4, Teredo, ORCHID, documentation, discard…). IPv6 forms
 * that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`,
 * NAT64 `64:ff9b::a.b.c.d`) are judged by that IPv4 address; the deprecated IPv4-compatible
 * `::a.b.c.d` lies outside 2000::/3 and is refused. Unparseable input counts as forbidden.
 */
export function isForbiddenAddress(address: string): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, ''))
  } catch {
    return true
  }
  // Resolvers and the URL parser give dotted quads; anything else (127.1, 0x7f.1) is refused as unusual.
  if (parsed.kind() === 'ipv4') return !ipaddr.IPv4.isValidFourPartDecimal(address) || parsed.range() !== 'unicast'
  const v6 = parsed as ipaddr.IPv6
  const range = v6.range()
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return isForbiddenAddress(embeddedIpv4(v6))
  return range !== 'unicast' || !v6.match(GLOBAL_UNICAST)
}

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number]

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function embeddedIpv4(v6: ipaddr.IPv6): string {
  const bytes = v6.toByteArray()
  return bytes.slice(12).join('.')
}

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
