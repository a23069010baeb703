/**
 * The zero-timer promise, checked statically: runtime code (src/, functions/) may not contain
 * `setInterval`, and a file that calls `setTimeout` must also clear it (a bounded wait inside one
 * request, cleared when it ends). Exits non-zero with the offending lines. Runs in `npm run build`
 * and in the test suite.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
export const RUNTIME_DIRS = ['src', 'functions']

export interface TimerViolation {
  file: string
  line: number
  text: string
  rule: string
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* sourceFiles(full)
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name) && !/\.test\./.test(entry.name)) yield full
  }
}

export function findTimerViolations(root = ROOT, dirs = RUNTIME_DIRS): TimerViolation[] {
  const violations: TimerViolation[] = []
  for (const dir of dirs) {
    const abs = path.join(root, dir)
    if (!fs.existsSync(abs)) continue
    for (const file of sourceFiles(abs)) {
      const text = fs.readFileSync(file, 'utf8')
      const lines = text.split('\n')
      const rel = path.relative(root, file)
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '')
        if (/\bsetInterval\s*\(/.test(code)) {
          violations.push({ file: rel, line: i + 1, text: line.trim(), rule: 'setInterval is forbidden in runtime code' })
        }
        if (/\bsetTimeout\s*\(/.test(code) && !/\bclearTimeout\s*\(/.test(text)) {
          violations.push({ file: rel, line: i + 1, text: line.trim(), rule: 'setTimeout without a clearTimeout in the same file' })
        }
      })
    }
  }
  return violations
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const violations = findTimerViolations()
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.rule}\n    ${v.text}`)
  if (violations.length) process.exit(1)
  console.log(`timers: no setInterval and no uncleared setTimeout in ${RUNTIME_DIRS.join('/, ')}/`)
}
