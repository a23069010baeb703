/** `90`, `30s`, `5m`, `2h`, `1d` → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim())
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (use 30s, 5m, 2h)`)
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's']
}
