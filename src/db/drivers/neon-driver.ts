/**
 * Neon's serverless driver, loaded at the first connection or statement that needs it: a deployment
 * on `pg` (most Node and Lambda ones) never reads or compiles it (~190 KiB with its WebSocket
 * client, a sixth of the Lambda start-up code). Workers bundle everything into one file anyway.
 */
export type NeonDriver = typeof import('@neondatabase/serverless')

let driver: Promise<NeonDriver> | undefined

export function loadNeonDriver(): Promise<NeonDriver> {
  return (driver ??= import('@neondatabase/serverless'))
}
