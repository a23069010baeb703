/**
 * Where webhooks may go. A URL whose host is, or resolves to, a private, loopback, link-local
 * (cloud metadata included), CGNAT, multicast or otherwise non-public address is refused unless the
 * host is in `WEBHOOK_ALLOW_HOSTS`. Checked at registration and again at every delivery; on Node
 * and Lambda the delivery's own connection re-checks each address it connects to, so a DNS answer
 * that changes in between (rebinding) does not get through.
 */

const v4Blocked: [number, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
].map(([ip, bits]) => [v4ToInt(ip as string)!, bits as number])

function v4ToInt(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

function v6Groups(ip: string): number[] | undefined {
  let text = ip.toLowerCase().replace(/^\[|\]$/g, '').split('%')[0]!
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4Tail) {
    const n = v4ToInt(v4Tail[1]!)
    if (n === undefined) return undefined
    text = text.slice(0, -v4Tail[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail, extra] = text.split('::')
  if (extra !== undefined) return undefined
  const h = head ? head.split(':') : []
  const t = tail !== undefined && tail ? tail.split(':') : []
  const fill = tail !== undefined ? 8 - h.length - t.length : 0
  const groups = [...h, ...Array(Math.max(0, fill)).fill('0'), ...t]
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined
  return groups.map((g) => parseInt(g, 16))
}

/** True for any address a webhook must not reach. Unparseable input counts as forbidden. */
export function isForbiddenAddress(address: string): boolean {
  const v4 = v4ToInt(address)
  if (v4 !== undefined) return v4Blocked.some(([base, bits]) => Math.floor(v4 / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)))
  const g = v6Groups(address)
  if (!g) return true
  const [a, b, c, d, e, f] = g as [number, number, number, number, number, number, number, number]
  if (g.every((x) => x === 0) || (g.slice(0, 7).every((x) => x === 0) && g[7] === 1)) return true // :: and ::1
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) return isForbiddenAddress(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`)
  if (a === 0x64 && b === 0xff9b) return isForbiddenAddress(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`) // NAT64
  return (a & 0xfe00) === 0xfc00 || (a & 0xffc0) === 0xfe80 || (a & 0xff00) === 0xff00 || (a === 0x2001 && b === 0xdb8)
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
  const literal = v4ToInt(host) !== undefined || host.includes(':')
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
