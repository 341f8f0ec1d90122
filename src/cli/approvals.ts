import type { Command } from 'commander'
import { createApiClient } from './api-client.js'
import { printJson, printTable } from './output.js'

/** `warden approvals list|approve|deny` and `warden owners`. */
export function addApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('answer calls held for a human')
  approvals
    .command('list')
    .description('list approval requests (pending by default)')
    .option('--status <status>', 'pending | approved | denied | expired | used', 'pending')
    .option('--json', 'print JSON (same as -o json)')
    .option('--url <url>')
    .action(async (o) => {
      const { approvals: rows } = await createApiClient(o).call<{
        approvals: Array<Record<string, unknown>>
      }>('GET', `/v1/approvals?status=${encodeURIComponent(o.status)}`)
      if (o.json) printJson(rows)
      else printTable(rows, ['id', 'status', 'owner', 'tool', 'task', 'reasons'])
    })
  for (const verb of ['approve', 'deny'] as const) {
    approvals
      .command(`${verb} <id>`)
      .description(`${verb} a held call (single use, bound to that exact call)`)
      .option('--url <url>')
      .action(async (id: string, o) =>
        printJson(await createApiClient(o).call('POST', `/v1/approvals/${encodeURIComponent(id)}/${verb}`)),
      )
  }
  program
    .command('owners')
    .description("each owner's agents with their last week's tasks, decisions, signals and approvals")
    .option('--url <url>')
    .action(async (o) => printJson(await createApiClient(o).call('GET', '/v1/owners')))
}
