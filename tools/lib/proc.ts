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

/** Starts a TypeScript server script with tsx and waits for its `{"port":…}` line on stdout. */
export function startServerProcess(script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it listened`)))
    lines.on('line', (line) => {
      try {
        const { port } = JSON.parse(line) as { port: number }
        resolve({
          child,
          port,
          pid: child.pid!,
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done())
              child.kill('SIGTERM')
            }),
        })
      } catch {
        // not the port line
      }
    })
  })
}
