/**
 * Merge fields in subjects and bodies: `{{firstName}}`, `{{lastName}}`, `{{email}}`, `{{company}}`,
 * `{{fields.<name>}}` (a contact's custom field), each with an optional fallback:
 * `{{firstName|there}}`. Templates are checked when a campaign is saved, so a typo is a 400 then,
 * not a broken email later.
 */

const PLACEHOLDER = /\{\{\s*([^}|]*?)\s*(?:\|([^}]*))?\}\}/g
const KNOWN = new Set(['firstName', 'lastName', 'email', 'company'])
const FIELD = /^fields\.[A-Za-z_][A-Za-z0-9_]{0,63}$/

export interface MergeData {
  email: string
  firstName?: string | null
  lastName?: string | null
  company?: string | null
  fields?: Record<string, string>
}

/** The problems of a template, empty when it is fine. */
export function templateProblems(template: string): string[] {
  const problems: string[] = []
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1]!
    if (!KNOWN.has(name) && !FIELD.test(name)) {
      problems.push(`unknown merge field {{${name}}}: use firstName, lastName, email, company or fields.<name>`)
    }
  }
  const opens = template.split('{{').length - 1
  const closes = [...template.matchAll(PLACEHOLDER)].length
  if (opens !== closes) problems.push('a "{{" is not closed by "}}"')
  return problems
}

function lookup(name: string, data: MergeData): string | null | undefined {
  if (name.startsWith('fields.')) return data.fields?.[name.slice('fields.'.length)]
  return data[name as 'email' | 'firstName' | 'lastName' | 'company']
}

export function renderTemplate(template: string, data: MergeData): string {
  return template.replace(PLACEHOLDER, (_all, name: string, fallback: string | undefined) => {
    const value = lookup(name, data)
    return value ? value : (fallback ?? '').trim()
  })
}
