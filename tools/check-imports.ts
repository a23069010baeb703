/**
 * The shape of the code, checked by dependency-cruiser: imports point one way.
 * - The runtime is layered, lowest first: core utilities (`config/`, logger, crypto, url) → `db/` (and
 *   errors.ts) → `http/` → `queue/` → `tasks/` → `ops/` → `runtime/` (composition, public entry).
 *   A layer imports only layers below it and itself, so its folders can form no cycle.
 * - The runtime never imports the domain (`src/domain/`) or the app built on it (`src/app.ts`,
 *   `src/config.ts`: the outreach backend's); the domain uses the runtime.
 * - `src/` is platform-free: no `node:*` built-ins, no `cloudflare:*`, no AWS SDK; and it never
 *   imports `functions/`, `cron/` or `tools/`, which sit on top.
 * - No module-level import cycles anywhere in `src/`.
 * Type-only imports count. Runs in the test suite; `npm run check:imports` prints the violations.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cruise, type IForbiddenRuleType, type ICruiseResult } from 'dependency-cruiser'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/** The runtime's layers, lowest first; each may import only the ones before it (and itself). */
export const LAYERS: [name: string, path: string][] = [
  ['core', '^src/(config/|(logger|crypto|url)\\.ts$)'],
  ['db', '^src/(db/|errors\\.ts$)'],
  ['http', '^src/http/'],
  ['queue', '^src/queue/'],
  ['tasks', '^src/tasks/'],
  ['ops', '^src/ops/'],
  ['runtime', '^src/runtime/'],
]
const RUNTIME = LAYERS.map(([, p]) => `(${p})`).join('|')
const APP = '^src/(domain/|(app|config)\\.ts$)'

export const RULES: IForbiddenRuleType[] = [
  ...LAYERS.slice(0, -1).map(([name, from], i): IForbiddenRuleType => ({
    name: `${name}-imports-upward`,
    comment: `${name} may import only ${LAYERS.slice(0, i).map(([n]) => n).join(', ') || 'nothing else in src'}`,
    severity: 'error',
    from: { path: from },
    to: { path: LAYERS.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
  })),
  { name: 'runtime-imports-domain', comment: 'the runtime must not know the app built on it', severity: 'error', from: { path: RUNTIME }, to: { path: APP } },
  { name: 'src-imports-node', comment: 'src/ runs on Workers too: node built-ins belong in functions/', severity: 'error', from: { path: '^src/' }, to: { dependencyTypes: ['core'] } },
  { name: 'src-imports-platform', comment: 'cloudflare:* and the AWS SDK are platform clients: functions/ hands them in', severity: 'error', from: { path: '^src/' }, to: { path: '^(cloudflare:|@aws-sdk/)|node_modules/@aws-sdk/' } },
  { name: 'src-imports-entries', comment: 'functions/, cron/ and tools/ sit on top of src/', severity: 'error', from: { path: '^src/' }, to: { path: '^(functions|cron|tools)/' } },
  { name: 'no-cycle', comment: 'a module must not depend on itself through others', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
]

export interface ImportViolation {
  rule: string
  from: string
  to: string
}

export async function findImportViolations(root = ROOT): Promise<ImportViolation[]> {
  const previous = process.cwd()
  process.chdir(root) // dependency-cruiser reports and matches paths relative to the working directory
  try {
    const result = await cruise(
      ['src'],
      { validate: true, ruleSet: { forbidden: RULES }, tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } },
      {},
      { tsConfig: { fileName: path.join(root, 'tsconfig.json') } },
    )
    const output = result.output as ICruiseResult
    return output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))
  } finally {
    process.chdir(previous)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const violations = await findImportViolations()
  for (const v of violations) console.error(`${v.rule}: ${v.from} → ${v.to}`)
  if (violations.length) process.exit(1)
  console.log(`imports: the runtime's layers (${LAYERS.map(([n]) => n).join(' → ')}) point one way, no domain in the runtime, no platform code in src/, no cycles`)
}
