/** Where `npm start` leaves the URL of its embedded database, so `npm run monitor` can find it. */
import fs from 'node:fs'
import path from 'node:path'
import { defaultDataDir } from './embedded-postgres.js'

const stateFile = () => path.join(path.dirname(process.env.LOWTIDE_DATA_DIR || defaultDataDir()), 'npm-start.json')

export function writeStartState(state: { url: string; pid: number }): void {
  fs.writeFileSync(stateFile(), JSON.stringify(state))
}

export function clearStartState(): void {
  fs.rmSync(stateFile(), { force: true })
}

export function readStartState(): { url: string; pid: number } | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(stateFile(), 'utf8')) as { url: string; pid: number }
    process.kill(state.pid, 0) // still running?
    return state
  } catch {
    return undefined
  }
}
