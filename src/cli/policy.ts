import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { type CatalogTool, type ToolDefinition, unstoredTool } from '../catalog/index.js'
import { parseDuration, silentLogger } from '../kernel/index.js'
import { formatProblem, PolicyEngine, readPolicyDirectory, runPolicyTests } from '../policy/index.js'
import { createApiClient } from './api-client.js'
import { printJson, printTable } from './output.js'

function readJsonFiles(dir: string): Array<{ file: string; content: unknown }> {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'))
  } catch {
    return []
  }
  return names.sort().map((file) => {
    const text = readFileSync(join(dir, file), 'utf8')
    try {
      return { file, content: JSON.parse(text) as unknown }
    } catch (error) {
      return { file, content: { invalidJson: String(error) } }
    }
  })
}

/** `warden policy check|test|status|reload` and `warden tools list|approve`. */
export function addPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check, test and inspect Cedar policy sets')
  policy
    .command('check <dir>')
    .description('parse and strictly validate a policy directory; exit 1 with file:line:col messages')
    .option(
      '--tools <file>',
      'a JSON file `{ "<server>": [tool definitions] }` whose tools the policies may name',
    )
    .option('--allow-empty', 'accept a set that permits nothing (it would deny every call)')
    .action((dir: string, o) => {
      const tools: CatalogTool[] = []
      if (o.tools) {
        const byServer = JSON.parse(readFileSync(o.tools, 'utf8')) as Record<string, ToolDefinition[]>
        for (const [server, definitions] of Object.entries(byServer)) {
          for (const definition of definitions) tools.push(unstoredTool(server, definition))
        }
      }
      const result = new PolicyEngine(silentLogger, {
        validateRequests: true,
        allowEmpty: o.allowEmpty === true,
      }).load(readPolicyDirectory(dir), tools)
      if (result.ok) {
        process.stdout.write(`ok: ${result.policies} policies, version ${result.version}\n`)
      } else {
        for (const problem of result.problems) process.stdout.write(`${formatProblem(problem)}\n`)
        process.exitCode = 1
      }
    })
  policy
    .command('test <dir> [filter]')
    .description(
      'run the test cases in <dir>/tests/*.json against the policies in <dir> (those whose name contains [filter]); exit 1 on any failure',
    )
    .option('--allow-empty', 'accept a set that permits nothing (it would deny every call)')
    .option('--case <name>', 'run only the case of this exact name')
    .option('--coverage', 'also report the policies and the when/unless clauses no case exercised')
    .option('--json', 'print the results (and coverage) as one JSON document')
    .action(
      (
        dir: string,
        filter: string | undefined,
        o: { allowEmpty?: boolean; case?: string; coverage?: boolean; json?: boolean },
      ) => {
        const { loadErrors, results, coverage } = runPolicyTests(
          readPolicyDirectory(dir),
          readJsonFiles(join(dir, 'tests')),
          {
            allowEmpty: o.allowEmpty === true,
            select: (_file, name) =>
              (o.case === undefined || name === o.case) && (filter === undefined || name.includes(filter)),
            coverage: o.coverage === true || o.json === true,
          },
        )
        const failed = results.filter((r) => !r.passed).length
        if (failed > 0 || loadErrors.length > 0 || results.length === 0) process.exitCode = 1
        if (o.json) {
          printJson({
            passed: results.length - failed,
            failed,
            loadErrors,
            results,
            ...(coverage ? { coverage } : {}),
          })
          return
        }
        for (const error of loadErrors) process.stdout.write(`error: ${error}\n`)
        for (const r of results) {
          process.stdout.write(
            `${r.passed ? 'PASS' : 'FAIL'}  ${r.file} › ${r.name}${r.passed ? '' : `: expected ${r.expected}, got ${r.actual} (${r.detail})`}\n`,
          )
        }
        process.stdout.write(`\n${results.length - failed} passed, ${failed} failed\n`)
        if (coverage && o.coverage) {
          const applied = coverage.policies.length - coverage.untestedPolicies.length
          process.stdout.write(
            `\ncoverage: ${applied}/${coverage.policies.length} policies applied in some case\n`,
          )
          for (const id of coverage.untestedPolicies)
            process.stdout.write(`  untested policy  ${id}: no case makes it apply\n`)
          for (const c of coverage.untestedClauses)
            process.stdout.write(
              `  untested clause  ${c.policy} ${c.kind} #${c.index}: no case shows it stopping the policy  ${c.text}\n`,
            )
        }
      },
    )
  policy
    .command('eval')
    .description(
      'what the policies in force decide on one request, the policies that decided it, and the Cedar context — nothing recorded',
    )
    .option('--agent <name>', 'the agent making the request (its tier and entitlements)')
    .option('--tool <name>', 'the tool called')
    .option('--server <name>', "the tool's server, when its name is not unique")
    .option('--args <json>', "the call's arguments as a JSON object", '{}')
    .option('--tier <tier>', "decide as a task of this tier (default: the agent's)")
    .option('--signals <list>', 'behavioural signals as kind:severity,… (e.g. untrusted_provenance:high)')
    .option('--risk <n>', "the task's risk, 0–100", '0')
    .option('--approved', 'as if a human approved this exact call')
    .option(
      '--from-record <seq>',
      'the tool call recorded at this chain seq, with its task, signals and risk',
    )
    .option('--url <url>')
    .action(async (o) => {
      const body = o.fromRecord
        ? { fromRecord: Number(o.fromRecord) }
        : {
            agent: o.agent,
            tool: o.tool,
            ...(o.server ? { server: o.server } : {}),
            args: JSON.parse(o.args) as unknown,
            ...(o.tier ? { tier: o.tier } : {}),
            signals: String(o.signals ?? '')
              .split(',')
              .filter(Boolean)
              .map((pair) => {
                const [kind, severity = 'medium'] = pair.split(':')
                return { kind, severity }
              }),
            risk: Number(o.risk),
            approved: o.approved === true,
          }
      printJson(await createApiClient(o).call('POST', '/v1/policies/eval', body))
    })
  policy
    .command('diff')
    .description(
      'what the shadow set (policy.shadow, or @mode("log_only") policies) decided otherwise than the set in force',
    )
    .option('--since <duration>', 'how far back, e.g. 1h, 30m, 7d', '1h')
    .option('--url <url>')
    .action(async (o: { since: string; url?: string }) => {
      const since = Date.now() - (parseDuration(o.since) ?? 3_600_000)
      const client = createApiClient(o)
      const differences: Array<{ seq: number; task: string | null; body: Record<string, unknown> }> = []
      for (let after = 0; ; ) {
        const page = await client.call<{ events: typeof differences; next: number | null }>(
          'GET',
          `/v1/events?kind=decision.shadow&since=${since}&after=${after}&limit=10000`,
        )
        differences.push(...page.events)
        if (page.next === null) break
        after = page.next
      }
      const byChange = new Map<string, number>()
      const byReason = new Map<string, number>()
      for (const { body } of differences) {
        const change = `${String(body.effect)} → ${String(body.shadowEffect)}`
        byChange.set(change, (byChange.get(change) ?? 0) + 1)
        for (const reason of (body.shadowReasons as string[]) ?? [])
          byReason.set(reason, (byReason.get(reason) ?? 0) + 1)
      }
      printJson({
        since: new Date(since).toISOString(),
        differences: differences.length,
        byChange: Object.fromEntries(byChange),
        byShadowPolicy: Object.fromEntries(byReason),
        examples: differences.slice(0, 10).map(({ seq, task, body }) => ({ seq, task, ...body })),
      })
    })
  policy
    .command('status')
    .description('the version in force and any problems of the last reload')
    .option('--url <url>')
    .action(async (o) => printJson(await createApiClient(o).call('GET', '/v1/policies')))
  policy
    .command('reload')
    .description('reload the policy directory now (an invalid set is refused; the last good one stays)')
    .option('--url <url>')
    .action(async (o) => printJson(await createApiClient(o).call('POST', '/v1/policies/reload')))

  const tools = program.command('tools').description('the tool catalog: pinned definitions')
  tools
    .command('list')
    .description('list catalog tools with their pinned digest and status (-o json: full definitions)')
    .option('--server <name>')
    .option('--url <url>')
    .action(async (o) => {
      const query = o.server ? `?server=${encodeURIComponent(o.server)}` : ''
      const { tools: rows } = await createApiClient(o).call<{ tools: Array<Record<string, unknown>> }>(
        'GET',
        `/v1/tools${query}`,
      )
      printTable(rows, ['server', 'name', 'status', 'sensitivity', 'digest'])
    })
  tools
    .command('approve <server> <tool>')
    .description('approve the changed definition of a quarantined tool')
    .option('--url <url>')
    .action(async (server: string, tool: string, o) =>
      printJson(
        await createApiClient(o).call(
          'POST',
          `/v1/servers/${encodeURIComponent(server)}/tools/${encodeURIComponent(tool)}/approve`,
        ),
      ),
    )
}
