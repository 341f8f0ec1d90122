import type { Command } from 'commander'
import type { Agent, Instance } from '../identity/index.js'
import { createApiClient } from './api-client.js'
import { printJson, printTable } from './output.js'

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** `warden agent …` and `warden instance …`: the registry through the admin API. */
export function addIdentityCommands(program: Command): void {
  const agent = program.command('agent').description('register and manage agents')
  agent
    .command('register <name>')
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
    .option('--json', 'print JSON')
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
    .option('--url <url>')
    .action(async (name: string, o) => {
      printJson(await createApiClient(o).call('GET', `/v1/agents/${encodeURIComponent(name)}`))
    })
  for (const verb of ['disable', 'enable'] as const) {
    agent
      .command(`${verb} <name>`)
      .option('--url <url>')
      .action(async (name: string, o) => {
        printJson(await createApiClient(o).call('POST', `/v1/agents/${encodeURIComponent(name)}/${verb}`))
      })
  }
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
    .option('--agent <name>')
    .option('--json', 'print JSON')
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
    .option('--url <url>')
    .action(async (id: string, o) => {
      printJson(await createApiClient(o).call('GET', `/v1/instances/${encodeURIComponent(id)}`))
    })
  instance
    .command('quarantine <id>')
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
