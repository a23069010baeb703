/**
 * A Lambda execution environment on this machine, as close to nodejs24.x as runs without AWS: AWS's
 * own Runtime Interface Client (`aws-lambda-ric`, the code of the managed Node runtimes and base
 * images) loads the handler from a task root that holds only the unzipped artifact, and talks to a
 * Runtime API served here (`/2018-06-01/runtime/invocation/next`, `…/response`, `…/error`,
 * `/runtime/init/error`). Between invocations the process is frozen (SIGSTOP), as Lambda freezes
 * an environment: nothing the handler left running gets to run until the next event.
 *
 * For tests and benches only; it loops on the runtime's long poll, so it lives in tools/.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { unzipSync } from 'fflate'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RIC = path.join(ROOT, 'node_modules', 'aws-lambda-ric', 'index.mjs')
/**
 * aws-lambda-ric builds curl and its native client at install, which needs cmake: it is an optional
 * dependency, so `npm install` works without cmake, and the tests that need it say so when skipped.
 */
export const RIC_INSTALLED = fs.existsSync(path.join(path.dirname(RIC), 'rapid-client.node'))
export const RIC_MISSING = 'needs aws-lambda-ric, built by npm install when cmake is present (apt-get install cmake, then npm install; CI requires it)'
const MODULE_RECORDER = path.join(ROOT, 'tools', 'lib', 'record-modules.mjs')
const RUNTIME_API = '/2018-06-01/runtime'

/** Unzips an artifact alone into a new directory under the system's temp dir, with no node_modules above it. */
export function unzipTaskRoot(zip: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lowtide-task-'))
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules'))) throw new Error(`${d} holds a node_modules: the artifact could resolve packages it does not carry`)
  }
  for (const [name, bytes] of Object.entries(unzipSync(fs.readFileSync(zip)))) {
    const file = path.join(dir, name)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, bytes)
  }
  return dir
}

export type Invocation = { ok: true; result: unknown; ms: number } | { ok: false; errorType: string; errorMessage: string; ms: number }

export interface LambdaEnvironment {
  readonly functionName: string
  /** Runs one event and waits for its answer; events queue while one runs (an environment takes one at a time). */
  invoke(event: unknown, options?: { timeoutMs?: number }): Promise<Invocation>
  /** Everything the runtime and the handler printed. */
  output(): string
  /** Files of the task root the process has loaded so far (relative paths), when the Node can tell. */
  loadedFiles(): string[]
  readonly pid: number
  stop(): Promise<void>
}

export interface LambdaEnvironmentOptions {
  taskRoot: string
  /** `<file>.<export>`, as serverless.yml names it. */
  handler: string
  functionName: string
  /** The function's environment (serverless.yml's, resolved); Lambda's own variables are added. */
  environment: Record<string, string>
  memoryMb?: number
  timeoutS?: number
  /** @default true */
  freezeBetweenInvocations?: boolean
  /** @default process.execPath */
  node?: string
}

interface Pending {
  id: string
  event: unknown
  deadline: number
  started: number
  settle(result: Invocation): void
}

export async function startLambdaEnvironment(options: LambdaEnvironmentOptions): Promise<LambdaEnvironment> {
  const { taskRoot, handler, functionName, memoryMb = 512, timeoutS = 29, freezeBetweenInvocations = true } = options
  const queue: Pending[] = []
  const running = new Map<string, Pending>()
  let waiting: http.ServerResponse | undefined
  let frozen = false
  let initError: string | undefined
  let child: ChildProcess | undefined
  let output = ''

  const thaw = () => {
    if (frozen && child?.pid) process.kill(child.pid, 'SIGCONT')
    frozen = false
  }
  const dispatch = () => {
    if (!waiting || queue.length === 0) return
    const next = queue.shift()!
    running.set(next.id, next)
    next.started = Date.now()
    const res = waiting
    waiting = undefined
    thaw()
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': next.id,
      'lambda-runtime-deadline-ms': String(next.deadline),
      'lambda-runtime-invoked-function-arn': `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    })
    res.end(JSON.stringify(next.event))
  }

  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      const url = req.url ?? ''
      if (req.method === 'GET' && url === `${RUNTIME_API}/invocation/next`) {
        waiting = res
        if (queue.length) return dispatch()
        // The runtime is idle: Lambda freezes the environment until the next event.
        if (freezeBetweenInvocations && child?.pid && !frozen) {
          frozen = true
          process.kill(child.pid, 'SIGSTOP')
        }
        return
      }
      const done = url.match(new RegExp(`^${RUNTIME_API}/invocation/([^/]+)/(response|error)$`))
      if (req.method === 'POST' && done) {
        const pending = running.get(decodeURIComponent(done[1]!))
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"OK"}')
        if (!pending) return
        running.delete(pending.id)
        const ms = Date.now() - pending.started
        if (done[2] === 'response') return pending.settle({ ok: true, result: body ? JSON.parse(body) : null, ms })
        const error = (body ? JSON.parse(body) : {}) as { errorType?: string; errorMessage?: string }
        return pending.settle({ ok: false, errorType: error.errorType ?? String(req.headers['lambda-runtime-function-error-type'] ?? 'Unknown'), errorMessage: error.errorMessage ?? body, ms })
      }
      if (req.method === 'POST' && url === `${RUNTIME_API}/init/error`) {
        initError = body
        res.writeHead(202).end('{"status":"OK"}')
        return
      }
      res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const runtimeApi = `127.0.0.1:${(server.address() as AddressInfo).port}`

  const recordFile = path.join(taskRoot, '..', `${path.basename(taskRoot)}.modules`)
  const nodeOptions = [options.environment.NODE_OPTIONS, `--import=${MODULE_RECORDER}`].filter(Boolean).join(' ')
  child = spawn(options.node ?? process.execPath, ['--expose-gc', '--max-http-header-size', '81920', RIC], {
    cwd: taskRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `2026/12/07/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'ASIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'lambda-session-token',
      AWS_LAMBDA_RUNTIME_API: runtimeApi,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: path.dirname(RIC),
      _HANDLER: handler,
      ...options.environment,
      NODE_OPTIONS: nodeOptions,
      LOWTIDE_RECORD_MODULES: recordFile,
    },
  })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()))
  child.once('exit', (code, signal) => {
    const reason = initError ? `init error: ${initError}` : `the runtime exited (${signal ?? code})`
    for (const p of [...queue.splice(0), ...running.values()]) p.settle({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `${reason}\n${output.slice(-2000)}`, ms: Date.now() - p.started })
    running.clear()
  })

  return {
    functionName,
    pid: child.pid!,
    invoke(event, { timeoutMs = timeoutS * 1000 } = {}) {
      return new Promise<Invocation>((resolve) => {
        if (child!.exitCode !== null || child!.signalCode !== null) return resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: initError ?? output.slice(-2000), ms: 0 })
        const id = randomUUID()
        const timer = setTimeout(() => {
          running.delete(id)
          resolve({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, ms: timeoutMs })
        }, timeoutMs)
        queue.push({ id, event, deadline: Date.now() + timeoutMs, started: Date.now(), settle: (r) => (clearTimeout(timer), resolve(r)) })
        dispatch()
      })
    },
    output: () => output,
    loadedFiles() {
      if (!fs.existsSync(recordFile)) return []
      const urls = new Set(fs.readFileSync(recordFile, 'utf8').split('\n').filter(Boolean))
      return [...urls].map((u) => fileURLToPath(u)).filter((f) => f.startsWith(taskRoot + path.sep)).map((f) => path.relative(taskRoot, f))
    },
    async stop() {
      waiting?.destroy()
      if (child!.exitCode === null && child!.signalCode === null) {
        thaw()
        child!.kill('SIGKILL')
        await exited
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      fs.rmSync(recordFile, { force: true })
    },
  }
}
