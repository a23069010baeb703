/** IP allow-lists: exact addresses (v4 or v6) and IPv4 CIDR ranges such as `10.0.0.0/8`. */

export type IpMatcher = (ip: string | undefined) => boolean

export function ipAllowList(entries: string[]): IpMatcher {
  const exact = new Set<string>()
  const ranges: { base: number; mask: number }[] = []
  for (const entry of entries) {
    const [addr, bits] = entry.split('/') as [string, string | undefined]
    const v4 = ipv4ToInt(addr)
    if (bits !== undefined && v4 !== undefined) {
      const n = Number(bits)
      const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0
      ranges.push({ base: (v4 & mask) >>> 0, mask })
    } else {
      exact.add(normalize(addr))
    }
  }
  return (ip) => {
    if (!ip) return false
    const norm = normalize(ip)
    if (exact.has(norm)) return true
    const v4 = ipv4ToInt(norm)
    return v4 !== undefined && ranges.some((r) => ((v4 & r.mask) >>> 0) === r.base)
  }
}

/** `::ffff:127.0.0.1` (how Node reports IPv4 peers on dual-stack sockets) → `127.0.0.1`. */
function normalize(ip: string): string {
  const lower = ip.trim().toLowerCase()
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    n = n * 256 + Number(p)
  }
  return n >>> 0
}
