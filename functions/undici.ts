/** undici's Agent and fetch, for `await import('./undici.js')` on first use; why a module of our own: see adapters/sqs-sdk.ts. */
export { Agent, fetch } from 'undici'
