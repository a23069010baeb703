/**
 * What a running `npm start` leaves for the other local tools, in one file only its user can read
 * (0600): the embedded database's URL (`npm run monitor`), and the server's URL with the task
 * signing secret it generated (`npm run task` signs with it). The banner names the file instead of
 * printing the secret.
 */
import fs from 'node:fs'
import path from 'node:path'
import { defaultDataDir } from './embedded-postgres.js'

export interface StartState {
  pid: number
  /** The embedded database, when npm start runs one. */
  url?: string
  serverUrl?: string
  taskSigningSecret?: string
}

export const startStateFile = () => path.join(path.dirname(process.env.LOWTIDE_DATA_DIR || defaultDataDir()), 'npm-start.json')

/** Merges `state` into the file (written 0600, replaced atomically). */
export function writeStartState(state: StartState): void {
  const file = startStateFile()
  // With DATABASE_URL no embedded database has made this directory: on a fresh checkout it is not there yet.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const current = readStartState() ?? {}
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify({ ...current, ...state }), { mode: 0o600 })
  fs.renameSync(tmp, file)
}

/** Removes the file, if it is this process's (another `npm start` that failed must not remove the running one's). */
export function clearStartState(): void {
  try {
    const state = JSON.parse(fs.readFileSync(startStateFile(), 'utf8')) as StartState
    if (state.pid === process.pid) fs.rmSync(startStateFile(), { force: true })
  } catch {
    // no file, or not readable: nothing of ours to remove
  }
}

/** The state of an `npm start` that is still running, if any. */
export function readStartState(): StartState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(startStateFile(), 'utf8')) as StartState
    process.kill(state.pid, 0) // still running?
    return state
  } catch {
    return undefined
  }
}
