/**
 * Which addresses outbound requests to user-supplied URLs may reach (SSRF protection): the webhook
 * destination policy checks them at registration and delivery, and the Node and Lambda entries'
 * public-only fetch at every connection.
 */
import ipaddr from 'ipaddr.js'

/**
 * An address may be called (a webhook, any user-supplied URL) only if it is plainly public unicast, in every encoding: IPv4
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
