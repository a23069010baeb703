/**
 * The part of `@aws-sdk/client-sqs` lowtide uses, for `await import('./sqs-sdk.js')` on first use.
 * The SDK is CommonJS: an `await import()` of it straight from a split esbuild bundle gets a chunk
 * whose only export is `default` (module.exports), so destructuring `{ SQSClient }` gave `undefined`
 * in the Lambda artifacts, while Node's own loader (the source under tsx) finds the named exports and
 * hid it. A static re-export goes through the bundler's CommonJS interop: named exports everywhere.
 */
export { ChangeMessageVisibilityCommand, GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs'
