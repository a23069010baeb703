/**
 * `npm run build:lambda`: bundles each Lambda function with esbuild (ESM for Node 24, minified, source
 * maps without sources) and zips it as `dist/lambda/<fn>.zip`, the artifacts serverless.yml deploys
 * (`package.individually` + `artifact`): no framework bundler, the same files for osls and
 * Serverless v4. Zips are deterministic (sorted entries, fixed times): the same code, the same bytes.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Metafile, type Plugin } from 'esbuild'
import { zipSync } from 'fflate'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))
export const LAMBDA_OUT_DIR = path.join(ROOT, 'dist', 'lambda')
/** The runtime serverless.yml deploys on; esbuild's target follows it. */
export const LAMBDA_NODE_TARGET = 'node24'

/** Each deployed function: its entry and the file name its handler lives in (`<file>.handler`). */
export const LAMBDA_FUNCTIONS = [
  { name: 'api', entry: 'functions/lambda.ts', file: 'lambda' },
  { name: 'sqs-consumer', entry: 'functions/sqs-consumer.ts', file: 'sqs-consumer' },
] as const

export interface LambdaArtifact {
  name: string
  zip: string
  /** The entry module, unzipped, for import checks. */
  bundle: string
  /** Every file in the zip: the entry, its on-demand chunks, their source maps. */
  files: string[]
  /** What a cold start loads: the entry module alone. */
  entryBytes: number
  /** The entry and its chunks. */
  bundleBytes: number
  mapBytes: number
  zipBytes: number
  /** Every input file esbuild put into the bundle (paths relative to the repository). */
  inputs: string[]
}

// CommonJS dependencies (pg, ws) call require() for Node's built-ins; an ES module has no require
// of its own, so the bundle gets one.
const requireShim = "import { createRequire as __lowtideCreateRequire } from 'node:module'; const require = __lowtideCreateRequire(import.meta.url);"

// A zip entry's time is stored with 2-second resolution from 1980 on; a fixed one keeps builds byte-identical.
const FIXED_TIME = new Date('2026-01-01T00:00:00Z')

/**
 * zod re-exports all of its ~45 message locales as `z.locales`; esbuild cannot shake a namespace
 * that is itself a value, so every bundle would carry them (~300 KiB, a third of the api's start-up
 * code). lowtide uses zod's default English messages only, so the locale index becomes English alone.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir) ? { path: path.join(args.resolveDir, '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)}`, resolveDir: path.dirname(args.path), loader: 'js' }))
  },
}

/** Builds into `outDir` (tests give each run its own, so parallel builds never meet). */
export async function buildLambdas(outDir = LAMBDA_OUT_DIR): Promise<LambdaArtifact[]> {
  fs.rmSync(outDir, { recursive: true, force: true })
  const artifacts: LambdaArtifact[] = []
  for (const fn of LAMBDA_FUNCTIONS) {
    const dir = path.join(outDir, fn.name)
    const bundle = path.join(dir, `${fn.file}.mjs`)
    const result = await build({
      entryPoints: { [fn.file]: path.join(ROOT, fn.entry) },
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      // What the code loads on demand (the AWS SDK at the first publish, undici at the first
      // webhook) goes into chunks of its own, so a cold start neither reads nor compiles it.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_NODE_TARGET,
      minify: true,
      sourcemap: 'external',
      sourcesContent: false,
      legalComments: 'none',
      banner: { js: requireShim },
      // Optional native add-ons that pg and ws try and fall back from.
      external: ['pg-native', 'bufferutil', 'utf-8-validate'],
      plugins: [zodEnglishOnly],
      metafile: true,
      logLevel: 'warning',
      absWorkingDir: ROOT,
    })
    const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(dir, path.resolve(ROOT, f)).replaceAll('\\', '/')).sort()
    const files = Object.fromEntries(outputs.map((f) => [f, [fs.readFileSync(path.join(dir, f)), { mtime: FIXED_TIME }] as [Uint8Array, { mtime: Date }]]))
    const zip = path.join(outDir, `${fn.name}.zip`)
    fs.writeFileSync(zip, zipSync(files, { level: 9 }))
    const sizeOf = (test: (f: string) => boolean) => outputs.filter(test).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)
    artifacts.push({
      name: fn.name,
      zip,
      bundle,
      files: outputs,
      entryBytes: fs.statSync(bundle).size,
      bundleBytes: sizeOf((f) => f.endsWith('.mjs')),
      mapBytes: sizeOf((f) => f.endsWith('.map')),
      zipBytes: fs.statSync(zip).size,
      inputs: inputsOf(result.metafile),
    })
  }
  return artifacts
}

function inputsOf(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).map((p) => p.replaceAll('\\', '/'))
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const a of await buildLambdas()) {
    console.log(
      `${path.relative(ROOT, a.zip).padEnd(28)} zip ${kib(a.zipBytes).padStart(10)}   loaded at start ${kib(a.entryBytes).padStart(10)}   all code ${kib(a.bundleBytes).padStart(10)} (${a.files.filter((f) => f.endsWith('.mjs')).length} files)   maps ${kib(a.mapBytes).padStart(10)}`,
    )
  }
}
