/** Self-contained SVG line charts sharing one x axis (categories), stacked, with one legend: for bench reports. */

export interface Series {
  name: string
  /** One per x category; null where there is no value. */
  values: (number | null)[]
}

export interface Panel {
  title: string
  unit: string
  series: Series[]
  /** Plot y on a log scale (values ≤ 0 are dropped). */
  log?: boolean
}

const COLORS = ['#1c7ed6', '#2b8a3e', '#e67700', '#c92a2a', '#7048e8', '#0c8599', '#5c940d', '#862e9c']
const escape = (s: string) => s.replace(/[<&>]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!)

export function linesSvg(title: string, xLabel: string, categories: string[], panels: Panel[]): string {
  const width = 900
  const panelHeight = 230
  const pad = { left: 64, right: 260, top: 30, bottom: 34 }
  const plotW = width - pad.left - pad.right
  const x = (i: number) => pad.left + (categories.length <= 1 ? plotW / 2 : (i / (categories.length - 1)) * plotW)
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))]
  const color = (name: string) => COLORS[names.indexOf(name) % COLORS.length]!
  const blocks = panels.map((panel, p) => {
    const top = 40 + p * panelHeight
    const h = panelHeight - pad.top - pad.bottom
    const values = panel.series.flatMap((s) => s.values).filter((v): v is number => v !== null && (!panel.log || v > 0))
    const max = Math.max(1, ...values)
    const min = panel.log ? Math.max(0.1, Math.min(...values, max)) : 0
    const y = (v: number) => top + pad.top + h - (panel.log ? (Math.log10(v) - Math.log10(min)) / Math.max(1e-9, Math.log10(max) - Math.log10(min)) : (v - min) / (max - min)) * h
    const ticks = [0, 0.5, 1].map((f) => {
      const v = panel.log ? 10 ** (Math.log10(min) + f * (Math.log10(max) - Math.log10(min))) : min + f * (max - min)
      return `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`
    })
    const lines = panel.series.map((s) => {
      const points = s.values.map((v, i) => (v === null || (panel.log && v <= 0) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((pt): pt is string => pt !== null)
      const dots = points.map((pt) => `<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="3" fill="${color(s.name)}"/>`)
      return `<polyline fill="none" stroke="${color(s.name)}" stroke-width="2" points="${points.join(' ')}"/>${dots.join('')}`
    })
    const xTicks = categories.map((c, i) => `<text x="${x(i)}" y="${top + pad.top + h + 16}" text-anchor="middle" font-size="11">${escape(c)}</text>`)
    return `<text x="${pad.left}" y="${top + 18}" font-size="13">${escape(panel.title)} (${escape(panel.unit)}${panel.log ? ', log scale' : ''})</text>
<line x1="${pad.left}" x2="${pad.left}" y1="${top + pad.top}" y2="${top + pad.top + h}" stroke="#888"/>
<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${top + pad.top + h}" y2="${top + pad.top + h}" stroke="#888"/>
${ticks.join('\n')}
${xTicks.join('\n')}
${lines.join('\n')}`
  })
  const legend = names.map((n, i) => `<rect x="${width - pad.right + 16}" y="${70 + i * 20}" width="12" height="12" fill="${color(n)}"/><text x="${width - pad.right + 34}" y="${80 + i * 20}" font-size="12">${escape(n)}</text>`)
  const height = 40 + panels.length * panelHeight + 20
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad.left}" y="24" font-size="15">${escape(title)}</text>
${blocks.join('\n')}
<text x="${pad.left + plotW / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${escape(xLabel)}</text>
${legend.join('\n')}
</svg>
`
}
