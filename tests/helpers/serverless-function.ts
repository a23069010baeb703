/**
 * A function as serverless.yml deploys it: its handler, artifact, timeout, memory and environment
 * (the provider's, then the function's). Values only AWS resolves — `${param:…}`, `!Ref`, `!GetAtt` —
 * must be given by the caller, as the deployment's parameters and CloudFormation would give them;
 * one left unresolved fails, naming it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseServerlessYaml } from '../../cron/serverless-yaml.js'
import { ROOT } from '../../tools/build-lambda.js'

export interface DeployedFunction {
  name: string
  /** `<file>.<export>` */
  handler: string
  artifact: string
  timeoutS: number
  memoryMb: number
  environment: Record<string, string>
}

type Yaml = { provider: { timeout?: number; memorySize?: number; environment?: Record<string, unknown> }; custom?: Record<string, unknown>; functions: Record<string, Record<string, unknown>> }

export function deployedFunction(name: string, resolved: Record<string, string>): DeployedFunction {
  const doc = parseServerlessYaml(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as unknown as Yaml
  const fn = doc.functions[name]
  if (!fn) throw new Error(`serverless.yml has no function ${name}`)
  const own = fn.environment
  const selfRef = typeof own === 'string' ? own.match(/^\$\{self:custom\.(\w+)\}$/) : null
  const functionEnv = (selfRef ? doc.custom?.[selfRef[1]!] : own) as Record<string, unknown> | undefined
  const environment: Record<string, string> = {}
  for (const [key, value] of Object.entries({ ...doc.provider.environment, ...functionEnv })) {
    const literal = typeof value === 'string' && !value.includes('${') ? value : typeof value === 'number' ? String(value) : undefined
    const given = resolved[key] ?? literal
    if (given === undefined) throw new Error(`serverless.yml's ${name} needs ${key} (${JSON.stringify(value)}): give it the value the deployment resolves`)
    environment[key] = given
  }
  return {
    name,
    handler: String(fn.handler),
    artifact: path.join(ROOT, String((fn.package as { artifact: string }).artifact)),
    timeoutS: Number(fn.timeout ?? doc.provider.timeout ?? 6),
    memoryMb: Number(fn.memorySize ?? doc.provider.memorySize ?? 1024),
    environment,
  }
}
