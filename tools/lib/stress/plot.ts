/** A self-contained SVG of request latencies in the order they were sent, with p50/p95/p99 lines. */
export function latencySvg(title: string, latenciesMs: number[], failed: boolean[]): string {
  const width = 800
  const height = 300
  const pad = { left: 56, right: 16, top: 32, bottom: 36 }
  const max = Math.max(1, ...latenciesMs)
  const x = (i: number) => pad.left + (latenciesMs.length <= 1 ? 0 : (i / (latenciesMs.length - 1)) * (width - pad.left - pad.right))
  const y = (ms: number) => height - pad.bottom - (ms / max) * (height - pad.top - pad.bottom)
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
  const lines = ([['p50', 0.5, '#2b8a3e'], ['p95', 0.95, '#e67700'], ['p99', 0.99, '#c92a2a']] as const).map(([label, p, color]) => {
    const v = pct(p)
    return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="${color}" stroke-dasharray="4 3"/><text x="${width - pad.right}" y="${y(v) - 3}" text-anchor="end" fill="${color}" font-size="11">${label} ${v.toFixed(1)} ms</text>`
  })
  const dots = latenciesMs.map((ms, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="2.5" fill="${failed[i] ? '#c92a2a' : '#1c7ed6'}"/>`)
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${pad.left - 6}" y="${y(max * f) + 4}" text-anchor="end" font-size="11">${(max * f).toFixed(0)}</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad.left}" y="20" font-size="14">${title.replace(/[<&]/g, '')}</text>
<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#888"/>
<line x1="${pad.left}" x2="${width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#888"/>
${ticks.join('\n')}
<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11">requests in send order (red: failed)</text>
<text x="14" y="${height / 2}" transform="rotate(-90 14 ${height / 2})" text-anchor="middle" font-size="11">latency (ms)</text>
${dots.join('\n')}
${lines.join('\n')}
</svg>
`
}
