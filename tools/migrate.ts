/** `npm run migrate`: applies `migrations/` to DATABASE_URL (for Lambda and Workers deployments). */
import { createLogger } from '../src/logger.js'
import { migrateDatabase } from './lib/migrations.js'

const url = process.env.DATABASE_URL
if (!url) {
  console.error('DATABASE_URL is required: npm run migrate applies migrations/ to that database')
  process.exit(1)
}
const applied = await migrateDatabase(url, createLogger('info'))
console.log(applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply: database is up to date')
