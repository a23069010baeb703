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
import { readDeployed } from '../../cron/capacity-sync.js'
import { repoFiles } from '../../cron/sync.js'
import { schedulerSchedules } from '../../cron/scheduler.js'
import { BEGIN, END, toAwsCron } from '../../cron/triggers.js'
import { oslsPackage, serviceCopy } from '../helpers/osls.js'

const serverlessText = fs.readFileSync(repoFiles.serverlessPath, 'utf8')

describe('serverless.yml, parsed', () => {
  it('has every registry entry as its EventBridge Scheduler schedule, on the tasks function, with its cron, zone, input, retries and DLQ', () => {
    const config = parseServerlessYaml(serverlessText)
    expect(Object.keys(config.functions!).sort()).toEqual(['api', 'sqs-consumer', TASKS_FUNCTION])
    // No EventBridge rule is left beside them: a task would run twice.
    expect(Object.values(config.functions!).flatMap((f) => (f.events ?? []).filter((e) => 'schedule' in e))).toEqual([])
    const resources = config.resources!.Resources as Record<string, { Type: string; Properties: any }>
    const scheduled = Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule')
    expect(scheduled).toHaveLength(schedulerSchedules(schedules).length)
    for (const entry of schedules) {
      const mine = scheduled.filter((r) => JSON.parse(r.Properties.Target.Input).lowtideTask === entry.name)
      expect([entry.name, mine.length, mine[0]?.Properties.ScheduleExpression, mine[0]?.Properties.ScheduleExpressionTimezone]).toEqual([entry.name, 1, toAwsCron(entry.cron), entry.timezone ?? 'UTC'])
      expect(mine[0]!.Properties.Target).toMatchObject({ Arn: { 'Fn::GetAtt': ['TasksLambdaFunction', 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: entry.aws?.maximumRetryAttempts ?? 2 }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TaskScheduleDeadLetters', 'Arn'] } } })
    }
    expect(Object.keys(config.resources!)).toEqual(['Resources'])
    expect(serverlessProblems(serverlessText, schedules)).toEqual([])
  })

  it('catches what the platform would make of a misplaced block, a missing task, a wrong cron or zone, a leftover rule', () => {
    // The block outside resources.Resources (appended at the end of the file): no schedule is a resource.
    const block = serverlessText.slice(serverlessText.indexOf(BEGIN) - 4, serverlessText.indexOf(END) + END.length)
    const misplaced = `${serverlessText.replace(block, '')}\nextras:\n${block}\n`
    expect(serverlessProblems(misplaced, schedules)).toEqual(schedulerSchedules(schedules).map((s) => `serverless.yml: ${s.logicalId} (${s.task}): no AWS::Scheduler::Schedule, so ${s.task} would not run on AWS`))
    const wrongCron = serverlessText.replace('ScheduleExpression: cron(0 8 * * ? *)', 'ScheduleExpression: cron(0 9 * * ? *)')
    expect(serverlessProblems(wrongCron, schedules)).toEqual(['serverless.yml: TaskScheduleLowCreditNotices (low-credit-notices): ScheduleExpression is "cron(0 9 * * ? *)", the registry says "cron(0 8 * * ? *)"'])
    const zoned = schedules.map((s) => (s.name === 'low-credit-notices' ? { ...s, timezone: 'Europe/Berlin' } : s))
    expect(serverlessProblems(serverlessText, zoned)).toEqual(['serverless.yml: TaskScheduleLowCreditNotices (low-credit-notices): ScheduleExpressionTimezone is "UTC", the registry says "Europe/Berlin"'])
    expect(serverlessProblems(serverlessText, [...schedules, { ...schedules[0]!, name: 'new-task' }])).toEqual(['serverless.yml: TaskScheduleNewTask (new-task): no AWS::Scheduler::Schedule, so new-task would not run on AWS'])
    const leftoverRule = serverlessText.replace('    timeout: 60\n    # Scheduler invokes it', '    timeout: 60\n    events:\n      - schedule: rate(1 minute)\n    # Scheduler invokes it')
    expect(serverlessProblems(leftoverRule, schedules)).toEqual([expect.stringMatching(/functions\.tasks has 1 schedule event\(s\): EventBridge rules beside the registry's Scheduler schedules would run tasks twice/)])
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

  it('has one EventBridge Scheduler schedule per registry entry (and a gap schedule per zoned entry that needs one), invoking the tasks function through its own role', () => {
    const expected = schedulerSchedules(schedules)
    const found = byType('AWS::Scheduler::Schedule')
    console.log(`[osls package] ${found.length} AWS::Scheduler::Schedule for ${schedules.length} registry entries`)
    expect(found.map(([id]) => id).sort()).toEqual(expected.map((s) => s.logicalId).sort())
    for (const want of expected) {
      const p = resources[want.logicalId]!.Properties as any
      expect([want.logicalId, p.ScheduleExpression, p.ScheduleExpressionTimezone, p.FlexibleTimeWindow]).toEqual([want.logicalId, want.expression, want.timezone, { Mode: 'OFF' }])
      expect(p.Target.Arn).toEqual({ 'Fn::GetAtt': ['TasksLambdaFunction', 'Arn'] })
      expect(p.Target.RoleArn).toEqual({ 'Fn::GetAtt': ['TaskSchedulerRole', 'Arn'] })
      expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: want.retryAttempts, MaximumEventAgeInSeconds: want.maxEventAgeSeconds })
      expect(p.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [want.deadLetterQueue, 'Arn'] } })
      // Scheduler fills the placeholder with the occurrence's time: the task route gets this JSON.
      expect(JSON.parse(p.Target.Input.replace('<aws.scheduler.scheduled-time>', '2026-07-01T08:00:00Z'))).toEqual({ lowtideTask: want.task, scheduledAt: '2026-07-01T08:00:00Z' })
      expect(p.GroupName).toEqual({ Ref: 'TaskScheduleGroup' })
    }
    expect(byType('AWS::Events::Rule')).toEqual([])
    // Scheduler's role: trusted by Scheduler only, allowed to invoke the tasks function and dead-letter, nothing else.
    const role = resources.TaskSchedulerRole!.Properties as any
    expect(role.AssumeRolePolicyDocument.Statement.map((s: any) => s.Principal.Service)).toEqual(['scheduler.amazonaws.com'])
    const actions = role.Policies.flatMap((p: any) => p.PolicyDocument.Statement.map((s: any) => s.Action)).sort()
    expect(actions).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage'])
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
    // The connection budget's caps, as CloudFormation gets them (cron/capacity.ts via cron:sync).
    const deployed = readDeployed(fs.readFileSync(path.join(dir, 'serverless.yml'), 'utf8'), fs.readFileSync(repoFiles.wranglerPath, 'utf8'))
    expect((mapping.Properties as { ScalingConfig?: unknown }).ScalingConfig).toEqual({ MaximumConcurrency: deployed.sqsMaximumConcurrency })
    expect((resources.TasksLambdaFunction!.Properties as { ReservedConcurrentExecutions?: number }).ReservedConcurrentExecutions).toBe(deployed.tasksReservedConcurrency)
    expect((resources.ApiLambdaFunction!.Properties as { ReservedConcurrentExecutions?: number }).ReservedConcurrentExecutions).toBe(deployed.apiReservedConcurrency)
    expect(deployed.tasksReservedConcurrency).toBeGreaterThan(0)
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
      ['ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': ['TaskScheduleDeadLetters', 'QueueName'] }],
      ['ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': ['OutboxDeadLetterQueue', 'QueueName'] }],
    ])
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: 'OpsAlarmTopic' }])
  })

  it('passes cfn-lint with 0 errors', async (ctx) => {
    const lint = await promisify(execFile)('cfn-lint', ['--version']).catch(() => undefined)
    if (!lint) {
      console.warn('[cfn-lint] not installed (pip install cfn-lint): the lint step is skipped here; .ci/run requires it')
      return ctx.skip('needs cfn-lint (pip install cfn-lint; CI requires it)')
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
