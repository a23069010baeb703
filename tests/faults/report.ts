/**
 * The fault suite's summary: each test records one row per scenario and driver; the global
 * teardown (report-setup.ts) prints them as one table at the end of `npm run test:faults`.
 */
import fs from 'node:fs'
import { inject } from 'vitest'

export interface FaultRow {
  scenario: string
  driver: string
  /** Faults injected in this scenario (restarts, cuts, frozen connections…). */
  faults: number
  /** Writes the app answered 2xx to. */
  acked: number
  /** Acknowledged writes missing from the database afterwards. */
  lost: number
  /** Answers with status 500 (every other 5xx must carry a reason: 503, 504). */
  http500: number
  /** Requests that got no answer within the client's bound. */
  hangs: number
  maxRequestMs?: number
  /** From the fault's end (Postgres back, network back, process resumed) to the first 2xx; undefined when it never went down. */
  recoveryMs?: number
}

declare module 'vitest' {
  export interface ProvidedContext {
    faultReport: string
  }
}

export function recordFault(row: FaultRow): void {
  fs.appendFileSync(inject('faultReport'), `${JSON.stringify(row)}\n`)
}

const COLUMNS: [keyof FaultRow, string][] = [
  ['scenario', 'scenario'],
  ['driver', 'driver'],
  ['faults', 'faults'],
  ['acked', 'writes acked'],
  ['lost', 'lost'],
  ['http500', '500s'],
  ['hangs', 'hangs'],
  ['maxRequestMs', 'max request ms'],
  ['recoveryMs', 'recovery ms'],
]

export function formatFaultTable(rows: FaultRow[]): string {
  const cells = rows.map((row) => COLUMNS.map(([key]) => (row[key] === undefined ? '–' : typeof row[key] === 'number' ? String(Math.round(row[key] as number)) : String(row[key]))))
  const header = COLUMNS.map(([, title]) => title)
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (values: string[]) => `| ${values.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`
  return [line(header), `|${widths.map((w, i) => (i < 2 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...cells.map(line)].join('\n')
}
