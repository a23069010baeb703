import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import readline from 'node:readline'

/** User + system CPU time of a process in ms, from /proc (Linux). */
export function cpuTimeMs(pid: number): number {
  const { user, system } = cpuTimesMs(pid)
  return user + system
}

/** User and system CPU time of a process in ms, apart: JavaScript runs in user time, the kernel's socket work in system time. */
export function cpuTimesMs(pid: number): { user: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS, system: (Number(fields[12]) * 1000) / CLOCK_TICKS }
}
const CLOCK_TICKS = 100

export interface ServerProcess {
  child: ChildProcess
  port: number
  pid: number
  stop(): Promise<void>
}

/**
 * Starts a TypeScript server script with tsx and waits for its `{"port":…}` line on stdout; every
 * other stdout line (its log) goes to `onLine`.
 */
export function startServerProcess(script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = [], onLine?: (line: string) => void): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it listened`)))
    lines.on('line', (line) => {
      let port: unknown
      try {
        port = (JSON.parse(line) as { port?: unknown }).port
      } catch {
        port = undefined
      }
      // Log lines are JSON too: only the one carrying the port counts.
      if (typeof port !== 'number') return onLine?.(line)
      resolve({
        child,
        port,
        pid: child.pid!,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGCONT') // a stopped process cannot act on SIGTERM
            child.kill('SIGTERM')
          }
          await exited
        },
      })
    })
  })
}
