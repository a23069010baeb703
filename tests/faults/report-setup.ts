/** Collects the rows the fault tests record and prints the table once the run is over (also to FAULTS_REPORT as JSON when set). */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { formatFaultTable, type FaultRow } from './report.js'

export default function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-faults-'))
  const file = path.join(dir, 'rows.jsonl')
  fs.writeFileSync(file, '')
  project.provide('faultReport', file)
  return () => {
    const rows = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FaultRow)
    fs.rmSync(dir, { recursive: true, force: true })
    if (rows.length === 0) return
    console.log(`\nfault suite summary\n${formatFaultTable(rows)}\n`)
    if (process.env.FAULTS_REPORT) fs.writeFileSync(process.env.FAULTS_REPORT, JSON.stringify(rows, null, 2))
  }
}
