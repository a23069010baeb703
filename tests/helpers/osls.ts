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
import { buildLambdas } from '../../tools/build-lambda.js'
import { ROOT } from '../../tools/build-worker.js'

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

/** A directory holding serverless.yml and dist/lambda/*.zip, as `npm run build:lambda` leaves them. */
export async function serviceCopy(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-sls-'))
  fs.copyFileSync(path.join(ROOT, 'serverless.yml'), path.join(dir, 'serverless.yml'))
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
