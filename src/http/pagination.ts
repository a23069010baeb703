/**
 * Cursor pagination for every list: newest first, keyed on (created_at, id), so a page is an index
 * range scan and rows inserted meanwhile neither repeat nor vanish. The cursor is opaque to clients.
 */
import { z } from 'zod'
import { AppError } from '../errors.js'

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
})
export type PageQuery = z.infer<typeof pageQuery>

export interface Cursor {
  createdAt: string
  id: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function toBase64Url(text: string): string {
  return btoa(String.fromCharCode(...encoder.encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return decoder.decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))
}

const cursorShape = z.tuple([z.iso.datetime({ offset: true }), z.union([z.uuid(), z.string().regex(/^\d{1,19}$/)])])

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined
  try {
    const [createdAt, id] = cursorShape.parse(JSON.parse(fromBase64Url(cursor)))
    return { createdAt, id }
  } catch {
    throw new AppError(400, 'invalid_cursor', 'cursor is not one this API returned', [{ path: 'cursor', message: 'invalid cursor' }])
  }
}

/** `rows` were fetched with `LIMIT limit + 1`: the extra row only says whether a next page exists. */
export function toPage<T extends { id: string | number; createdAt: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const nextCursor = rows.length > limit && last ? toBase64Url(JSON.stringify([last.createdAt, String(last.id)])) : null
  return { items, nextCursor }
}

/**
 * The keyset condition and its parameters, to splice into a query whose own parameters end at
 * `$offset`. The table must have `created_at` and `id`; ordering is `created_at DESC, id DESC`.
 */
export function keyset(
  cursor: Cursor | undefined,
  offset: number,
  { alias = '', idType = 'uuid' }: { alias?: string; idType?: 'uuid' | 'bigint' } = {},
): { where: string; params: unknown[] } {
  if (!cursor) return { where: 'true', params: [] }
  if ((idType === 'uuid') !== z.uuid().safeParse(cursor.id).success) {
    throw new AppError(400, 'invalid_cursor', 'cursor belongs to another list', [{ path: 'cursor', message: 'invalid cursor' }])
  }
  const p = alias ? `${alias}.` : ''
  return {
    where: `(${p}created_at, ${p}id) < ($${offset + 1}::timestamptz, $${offset + 2}::${idType})`,
    params: [cursor.createdAt, cursor.id],
  }
}
