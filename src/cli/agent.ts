import type { Command } from 'commander'
import type { Agent, Instance } from '../identity/index.js'
import { createApiClient } from './api-client.js'
import { CliError, EXIT } from './exit-codes.js'
import { printJson, printTable } from './output.js'

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** `warden agent …` and `warden instance …`: the registry through the admin API. */
export function addIdentityCommands(program: Command): void {
  const agent = program.command('agent').alias('agents').description('register and manage agents')
  agent
    .command('register <name>')
    .description('register an agent with its owner, tier and entitlements')
    .requiredOption('--owner <email>', 'the accountable owner')
    .requiredOption('--tier <tier>', 'critical | high | standard | low')
    .option('--entitle <tools>', 'comma-separated tool names', list, [])
    .option('--delegate <agents>', 'comma-separated agents it may delegate to', list, [])
    .option('--code-digest <digest>', 'only instances presenting this digest are attested')
    .option('--url <url>', 'Warden URL (default $WARDEN_URL or http://127.0.0.1:8700)')
    .action(async (name: string, o) => {
      const created = await createApiClient(o).call<Agent>('POST', '/v1/agents', {
        name,
        owner: o.owner,
        tier: o.tier,
        entitlements: o.entitle,
        delegatesTo: o.delegate,
        codeDigest: o.codeDigest ?? null,
      })
      printJson(created)
    })
  agent
    .command('list')
    .description('list registered agents')
    .option('--json', 'print JSON (same as -o json)')
    .option('--url <url>')
    .action(async (o) => {
      const { agents } = await createApiClient(o).call<{ agents: Agent[] }>('GET', '/v1/agents')
      if (o.json) printJson(agents)
      else
        printTable(agents as unknown as Record<string, unknown>[], [
          'name',
          'owner',
          'tier',
          'status',
          'entitlements',
        ])
    })
  agent
    .command('show <name>')
    .description('show one agent')
    .option('--url <url>')
    .action(async (name: string, o) => {
      printJson(await createApiClient(o).call('GET', `/v1/agents/${encodeURIComponent(name)}`))
    })
  agent
    .command('disable [name]')
    .description('disable an agent (its instances stop verifying); --all is the kill switch')
    .option('--all', 'disable every agent and close every open task')
    .option('--reason <text>', 'why (recorded; required with --all)')
    .option('--url <url>')
    .action(async (name: string | undefined, o) => {
      const api = createApiClient(o)
      if (o.all) {
        if (name) throw new CliError('give a name or --all, not both', EXIT.usage)
        if (!o.reason) throw new CliError('--all needs --reason', EXIT.usage)
        printJson(await api.call('POST', '/v1/agents/disable', { reason: o.reason }))
      } else if (name) {
        printJson(await api.call('POST', `/v1/agents/${encodeURIComponent(name)}/disable`))
      } else throw new CliError('give an agent name, or --all --reason …', EXIT.usage)
    })
  agent
    .command('enable <name>')
    .description('enable a disabled agent again')
    .option('--url <url>')
    .action(async (name: string, o) => {
      printJson(await createApiClient(o).call('POST', `/v1/agents/${encodeURIComponent(name)}/enable`))
    })
  agent
    .command('update <name>')
    .description("change an agent's owner, tier, entitlements, delegates or code digest")
    .option('--owner <email>')
    .option('--tier <tier>', 'critical | high | standard | low')
    .option('--entitle <tools>', 'comma-separated tool names (replaces the list)', list)
    .option('--delegate <agents>', 'comma-separated agents it may delegate to (replaces the list)', list)
    .option('--code-digest <digest>', '`none` to clear')
    .option('--url <url>')
    .action(async (name: string, o) => {
      const patch: Record<string, unknown> = {}
      if (o.owner) patch.owner = o.owner
      if (o.tier) patch.tier = o.tier
      if (o.entitle) patch.entitlements = o.entitle
      if (o.delegate) patch.delegatesTo = o.delegate
      if (o.codeDigest) patch.codeDigest = o.codeDigest === 'none' ? null : o.codeDigest
      printJson(await createApiClient(o).call('PATCH', `/v1/agents/${encodeURIComponent(name)}`, patch))
    })
  agent
    .command('remove <name>')
    .description('remove an agent that never ran (one with instances is disabled instead: exit 6)')
    .option('--url <url>')
    .action(async (name: string, o) => {
      await createApiClient(o).call('DELETE', `/v1/agents/${encodeURIComponent(name)}`)
      printJson({ removed: name })
    })
  agent
    .command('join-token <name>')
    .description('mint a single-use join token for one instance of the agent')
    .option('--url <url>')
    .action(async (name: string, o) => {
      printJson(await createApiClient(o).call('POST', `/v1/agents/${encodeURIComponent(name)}/join-tokens`))
    })

  const instance = program.command('instance').description('inspect and quarantine attested instances')
  instance
    .command('list')
    .description('list attested instances')
    .option('--agent <name>')
    .option('--json', 'print JSON (same as -o json)')
    .option('--url <url>')
    .action(async (o) => {
      const query = o.agent ? `?agent=${encodeURIComponent(o.agent)}` : ''
      const { instances } = await createApiClient(o).call<{ instances: Instance[] }>(
        'GET',
        `/v1/instances${query}`,
      )
      if (o.json) printJson(instances)
      else
        printTable(instances as unknown as Record<string, unknown>[], [
          'id',
          'agent',
          'status',
          'method',
          'spiffeId',
        ])
    })
  instance
    .command('show <id>')
    .description('show one instance')
    .option('--url <url>')
    .action(async (id: string, o) => {
      printJson(await createApiClient(o).call('GET', `/v1/instances/${encodeURIComponent(id)}`))
    })
  instance
    .command('quarantine <id>')
    .description('quarantine one instance: its SVIDs stop verifying, the other replicas keep working')
    .requiredOption('--reason <text>')
    .option('--url <url>')
    .action(async (id: string, o) => {
      printJson(
        await createApiClient(o).call('POST', `/v1/instances/${encodeURIComponent(id)}/quarantine`, {
          reason: o.reason,
        }),
      )
    })
}
