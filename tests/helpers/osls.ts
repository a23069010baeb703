/**
 * osls (the open-source Serverless Framework v3 line, installed as `serverless`) run on a copy of
 * the project's serverless.yml with freshly built artifacts, offline: dummy credentials, and no
 * command here talks to AWS.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { parseDocument } from 'yaml'
import { buildLambdas } from '../../tools/build-lambda.js'
import { ROOT } from '../../tools/build-worker.js'
import { freePort } from '../../tools/lib/free-port.js'

export const SERVERLESS_BIN = path.join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js')

export const OFFLINE_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: 'eu-west-1',
  // Nothing of the framework's own (update checks, notifications, telemetry) goes out.
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
}

/**
 * A directory holding serverless.yml and dist/lambda/*.zip, as `npm run build:lambda` leaves them.
 * `appEnvironment` overrides the app's settings (`custom.appEnvironment`) in the copy only.
 */
export async function serviceCopy(options: { appEnvironment?: Record<string, string> } = {}): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-sls-'))
  const doc = parseDocument(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'))
  for (const [name, value] of Object.entries(options.appEnvironment ?? {})) doc.setIn(['custom', 'appEnvironment', name], value)
  fs.writeFileSync(path.join(dir, 'serverless.yml'), doc.toString({ lineWidth: 0 }))
  await buildLambdas(path.join(dir, 'dist', 'lambda'))
  return dir
}

export async function oslsPackage(dir: string, stage = 'prod'): Promise<Record<string, { Type: string; Properties: Record<string, unknown> }>> {
  await promisify(execFile)(process.execPath, [SERVERLESS_BIN, 'package', '--stage', stage, '--region', 'eu-west-1'], {
    cwd: dir,
    env: { ...process.env, ...OFFLINE_ENV },
    timeout: 120_000,
  })
  const template = JSON.parse(fs.readFileSync(path.join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'))
  return template.Resources
}

export function spawnServerless(dir: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [SERVERLESS_BIN, ...args], { cwd: dir, env: { ...process.env, ...OFFLINE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

export interface Offline {
  process: ChildProcess
  /** The HTTP API, as API Gateway serves it. */
  httpBase: string
  /** Lambda's Invoke API. */
  lambdaBase: string
  /** Everything the process printed so far. */
  output(): string
  stop(): Promise<void>
}

/** `serverless offline` on a service copy, started and ready (its "Server ready" line), on free loopback ports. */
export async function startOffline(dir: string, params: Record<string, string>): Promise<Offline> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()]
  const paramArgs = Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`])
  const child = spawnServerless(
    dir,
    ['offline', '--stage', 'local', '--region', 'eu-west-1', '--host', '127.0.0.1', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort), '--noSponsor', ...paramArgs],
    {},
  )
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const started = Date.now()
  while (!output.includes('Server ready')) {
    if (child.exitCode !== null || Date.now() - started > 60_000) {
      child.kill('SIGKILL')
      throw new Error(`serverless offline did not start:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    process: child,
    httpBase: `http://127.0.0.1:${httpPort}`,
    lambdaBase: `http://127.0.0.1:${lambdaPort}`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGCONT')
      child.kill('SIGINT')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}
