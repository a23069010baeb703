/**
 * serverless.yml as AWS will get it: read as YAML (not text), packaged by osls offline, the
 * generated CloudFormation checked for what the deployment promises, and linted by cfn-lint.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { schedules } from '../../cron/schedules.js'
import { serverlessProblems, TASKS_FUNCTION, wranglerProblems } from '../../cron/platform-check.js'
import { parseServerlessYaml } from '../../cron/serverless-yaml.js'
import { repoFiles } from '../../cron/sync.js'
import { BEGIN, END, toAwsCron } from '../../cron/triggers.js'
import { oslsPackage, serviceCopy } from '../helpers/osls.js'

const serverlessText = fs.readFileSync(repoFiles.serverlessPath, 'utf8')

describe('serverless.yml, parsed', () => {
  it('has every registry entry as exactly one schedule event on the tasks function, with its cron and input', () => {
    const config = parseServerlessYaml(serverlessText)
    expect(Object.keys(config.functions!).sort()).toEqual(['api', 'sqs-consumer', TASKS_FUNCTION])
    const events = config.functions![TASKS_FUNCTION]!.events!.map((e) => e.schedule as { rate: string; inputTransformer: { inputTemplate: string } })
    expect(events).toHaveLength(schedules.length)
    for (const entry of schedules) {
      const mine = events.filter((e) => JSON.parse(e.inputTransformer.inputTemplate.replace('<time>', '"t"')).lowtideTask === entry.name)
      expect([entry.name, mine.length, mine[0]?.rate]).toEqual([entry.name, 1, toAwsCron(entry.cron)])
    }
    expect(Object.keys(config.resources!)).toEqual(['Resources'])
    expect(serverlessProblems(serverlessText, schedules)).toEqual([])
  })

  it('catches what the platform would make of a misplaced block, a missing task or a wrong cron', () => {
    // The block under resources (where appending put it): no function gets the schedules.
    const block = serverlessText.slice(serverlessText.indexOf(BEGIN) - 6, serverlessText.indexOf(END) + END.length)
    const withoutTasks = serverlessText.replace(/\n {2}tasks:\n[\s\S]*?(?=\n\nresources:)/, '')
    const misplaced = `${withoutTasks}\n  tasks:\n    handler: lambda.handler\n    events:\n${block}\n`
    expect(parseServerlessYaml(misplaced).functions![TASKS_FUNCTION]).toBeUndefined()
    expect(serverlessProblems(misplaced, schedules)).toEqual([
      expect.stringMatching(/no functions\.tasks .*no schedule would reach AWS/),
      'serverless.yml: resources has tasks, which CloudFormation rejects (a block in the wrong place?)',
    ])
    const wrongCron = serverlessText.replace('rate: cron(0 8 * * ? *)', 'rate: cron(0 9 * * ? *)')
    expect(serverlessProblems(wrongCron, schedules)).toEqual(['serverless.yml: low-credit-notices runs at "cron(0 9 * * ? *)", the registry says cron(0 8 * * ? *)'])
    expect(serverlessProblems(serverlessText, [...schedules, { ...schedules[0]!, name: 'new-task' }])).toEqual(['serverless.yml: new-task has 0 schedule events on functions.tasks, expected 1'])
  })

  it('wrangler.toml, parsed as TOML, has a cron trigger for every registry cron and no other', () => {
    const text = fs.readFileSync(repoFiles.wranglerPath, 'utf8')
    expect(wranglerProblems(text, schedules)).toEqual([])
    expect(wranglerProblems(text.replace('"30 3 * * *"', '"30 4 * * *"'), schedules)).toEqual([
      'wrangler.toml: no cron trigger "30 3 * * *" (for ledger-cleanup)',
      'wrangler.toml: cron trigger "30 4 * * *" runs no registered task',
    ])
  })
})

describe('serverless.yml, packaged by osls (offline) → CloudFormation', () => {
  let dir: string
  let resources: Awaited<ReturnType<typeof oslsPackage>>
  const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type)

  beforeAll(async () => {
    dir = await serviceCopy()
    resources = await oslsPackage(dir)
  }, 180_000)
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('has one EventBridge rule per registry entry, on the tasks function, with its cron and input', () => {
    const rules = byType('AWS::Events::Rule').map(([, r]) => r.Properties as { Name: string; ScheduleExpression: string; Targets: { Arn: unknown; InputTransformer: { InputTemplate: string; InputPathsMap: Record<string, string> } }[] })
    console.log(`[osls package] ${rules.length} AWS::Events::Rule for ${schedules.length} registry entries`)
    expect(rules).toHaveLength(schedules.length)
    for (const entry of schedules) {
      const rule = rules.find((r) => r.Name === `lowtide-prod-${entry.name}`)!
      expect(rule.ScheduleExpression).toBe(toAwsCron(entry.cron))
      expect(rule.Targets).toHaveLength(1)
      expect(rule.Targets[0]!.Arn).toEqual({ 'Fn::GetAtt': ['TasksLambdaFunction', 'Arn'] })
      expect(rule.Targets[0]!.InputTransformer.InputPathsMap).toEqual({ time: '$.time' })
      // EventBridge fills <time> with the quoted event time: the task route gets this JSON.
      expect(JSON.parse(rule.Targets[0]!.InputTransformer.InputTemplate.replace('<time>', '"2026-07-01T08:00:00Z"'))).toEqual({ lowtideTask: entry.name, scheduledAt: '2026-07-01T08:00:00Z' })
    }
  })

  it('deploys the built artifacts on Node 24, with secrets as deploy-time references only', () => {
    const functions = Object.fromEntries(byType('AWS::Lambda::Function').map(([id, r]) => [id, r.Properties as { Runtime: string; Handler: string; Architectures: string[]; Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } }]))
    expect(Object.keys(functions).sort()).toEqual(['ApiLambdaFunction', 'SqsDashconsumerLambdaFunction', 'TasksLambdaFunction'])
    for (const [id, fn] of Object.entries(functions)) {
      expect([id, fn.Runtime, fn.Architectures]).toEqual([id, 'nodejs24.x', ['arm64']])
      // The uploaded zip is the built artifact, with the handler's file at its root.
      const zip = path.join(dir, 'dist', 'lambda', path.basename(fn.Code.S3Key))
      expect(Object.keys(unzipSync(fs.readFileSync(zip)))).toContain(`${fn.Handler.split('.')[0]}.mjs`)
      for (const secret of ['DATABASE_URL', 'OPS_TOKEN', 'TASK_SIGNING_SECRET']) {
        const value = fn.Environment.Variables[secret]
        if (value !== undefined) expect([id, secret, value]).toEqual([id, secret, `{{resolve:secretsmanager:lowtide/prod:SecretString:${secret}}}`])
      }
    }
    // The consumer holds no database connection and gets no database secret.
    expect(functions.SqsDashconsumerLambdaFunction!.Environment.Variables.DATABASE_URL).toBeUndefined()
    expect(functions.ApiLambdaFunction!.Environment.Variables.SQS_QUEUE_URL).toEqual({ Ref: 'OutboxQueue' })
  })

  it('has the queue, its DLQ redrive, the consumer mapping with partial batch failures, and IAM for them', () => {
    const queue = resources.OutboxQueue!.Properties as { RedrivePolicy: { deadLetterTargetArn: unknown; maxReceiveCount: number }; VisibilityTimeout: number }
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['OutboxDeadLetterQueue', 'Arn'] }, maxReceiveCount: 10 })
    const mappings = byType('AWS::Lambda::EventSourceMapping')
    expect(mappings).toHaveLength(1)
    const mapping = mappings[0]![1]
    expect(mapping.Properties).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': ['OutboxQueue', 'Arn'] }, FunctionName: { 'Fn::GetAtt': ['SqsDashconsumerLambdaFunction', 'Arn'] }, FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 })
    // Visibility above the consumer's timeout × batch, as AWS recommends.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(60 * 6)
    const statements = (resources.IamRoleLambdaExecution!.Properties as { Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[] }).Policies.flatMap((p) => p.PolicyDocument.Statement)
    const allowed = (action: string, resource: string) => statements.some((s) => [s.Action].flat().includes(action) && JSON.stringify(s.Resource).includes(`"${resource}"`))
    for (const [action, resource] of [['sqs:SendMessage', 'OutboxQueue'], ['sqs:ChangeMessageVisibility', 'OutboxQueue'], ['sqs:ReceiveMessage', 'OutboxQueue'], ['sqs:DeleteMessage', 'OutboxQueue'], ['sqs:SendMessage', 'ScheduledTaskFailures']]) {
      expect([action, resource, allowed(action!, resource!)]).toEqual([action, resource, true])
    }
  })

  it('makes a failed scheduled run visible: async retries, an on-failure destination and alarms', () => {
    const configs = byType('AWS::Lambda::EventInvokeConfig')
    expect(configs).toHaveLength(1)
    const config = configs[0]![1]
    expect(config.Properties).toMatchObject({ FunctionName: { Ref: 'TasksLambdaFunction' }, MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ScheduledTaskFailures', 'Arn'] } } } })
    const alarms = byType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as { MetricName: string; Dimensions: { Value: unknown }[]; AlarmActions: unknown[] })
    expect(alarms.map((a) => [a.MetricName, a.Dimensions[0]!.Value])).toEqual([
      ['Errors', { Ref: 'TasksLambdaFunction' }],
      ['ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': ['OutboxDeadLetterQueue', 'QueueName'] }],
    ])
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'OpsAlarmTopic' }])
  })

  it('passes cfn-lint with 0 errors', async (ctx) => {
    const lint = await promisify(execFile)('cfn-lint', ['--version']).catch(() => undefined)
    if (!lint) {
      console.warn('[cfn-lint] not installed (pip install cfn-lint): the lint step is skipped here; .ci/run requires it')
      return ctx.skip()
    }
    const template = path.join(dir, '.serverless', 'cloudformation-template-update-stack.json')
    const result = await promisify(execFile)('cfn-lint', ['--format', 'json', '--', template]).then(
      (r) => r.stdout,
      (e: { stdout: string }) => e.stdout, // exit codes 2/4/6/8 carry findings in stdout
    )
    const findings = JSON.parse(result || '[]') as { Level: string; Rule: { Id: string }; Message: string }[]
    console.log(`[cfn-lint] ${lint.stdout.trim()}: ${findings.filter((f) => f.Level === 'Error').length} errors, ${findings.filter((f) => f.Level === 'Warning').length} warnings (${findings.map((f) => f.Rule.Id).join(', ') || 'none'})`)
    expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id}: ${f.Message}`)).toEqual([])
  }, 120_000)
})
