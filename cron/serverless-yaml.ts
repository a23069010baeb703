/**
 * serverless.yml read as the framework reads it: YAML with CloudFormation's short-form intrinsic
 * functions (`!Ref X` → `{ Ref: 'X' }`, `!GetAtt A.B` → `{ 'Fn::GetAtt': ['A', 'B'] }`, …), so a
 * check sees the structure AWS will get — which function a schedule belongs to — not the text.
 */
import { parse, type Tags } from 'yaml'

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'If', 'Equals', 'Not', 'And', 'Or', 'Transform']

function cloudFormationTags(): Tags {
  const tags: Tags = []
  const define = (name: string, resolve: (value: unknown) => unknown) => {
    for (const collection of [undefined, 'seq', 'map'] as const) {
      tags.push({ tag: `!${name}`, ...(collection ? { collection } : {}), resolve: (value: unknown) => resolve(collection ? (value as { toJSON(): unknown }).toJSON() : value) } as Tags[number])
    }
  }
  define('Ref', (value) => ({ Ref: value }))
  define('Condition', (value) => ({ Condition: value }))
  define('GetAtt', (value) => ({ 'Fn::GetAtt': typeof value === 'string' ? [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] : value }))
  for (const fn of FUNCTIONS) define(fn, (value) => ({ [`Fn::${fn}`]: value }))
  return tags
}

export interface ServerlessConfig {
  service?: string
  provider?: Record<string, unknown>
  functions?: Record<string, { handler?: string; events?: Record<string, unknown>[]; [key: string]: unknown }>
  resources?: { Resources?: Record<string, unknown>; [key: string]: unknown }
  [key: string]: unknown
}

export function parseServerlessYaml(text: string): ServerlessConfig {
  return parse(text, { customTags: cloudFormationTags(), strict: true, uniqueKeys: true }) as ServerlessConfig
}
