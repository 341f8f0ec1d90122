import type { Command } from 'commander'
import { createApiClient } from './api-client.js'
import { printJson, printTable } from './output.js'

/** `warden approvals list|show|approve|deny` and `warden owners [webhook-secret]`. */
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
      else printTable(rows, ['id', 'status', 'owner', 'server', 'tool', 'task', 'reasons'])
    })
  approvals
    .command('show <id>')
    .description('what is being approved: tool, server, the redacted arguments, and why the call was held')
    .option('--url <url>')
    .action(async (id: string, o) =>
      printJson(await createApiClient(o).call('GET', `/v1/approvals/${encodeURIComponent(id)}`)),
    )
  for (const verb of ['approve', 'deny'] as const) {
    approvals
      .command(`${verb} <id>`)
      .description(`${verb} a held call (single use, bound to that exact call)`)
      .option('--reason <text>', 'why (recorded in the activity chain)')
      .option('--url <url>')
      .action(async (id: string, o) =>
        printJson(
          await createApiClient(o).call(
            'POST',
            `/v1/approvals/${encodeURIComponent(id)}/${verb}`,
            o.reason === undefined ? undefined : { reason: o.reason },
          ),
        ),
      )
  }
  const owners = program
    .command('owners')
    .description("each owner's agents with their last week's tasks, decisions, signals and approvals")
    .option('--url <url>')
    .action(async (o) => printJson(await createApiClient(o).call('GET', '/v1/owners')))
  owners
    .command('webhook-secret <owner>')
    .description("show the owner's webhook signing secret (once), or replace it with --rotate")
    .option('--rotate', 'replace the secret; deliveries are signed with the new one from now on')
    .option('--url <url>')
    .action(async (owner: string, o) =>
      printJson(
        // `--url` after the subcommand may land on `owners` (commander gives a parent its own options first).
        await createApiClient({ url: o.url ?? owners.opts().url }).call(
          'POST',
          `/v1/owners/${encodeURIComponent(owner)}/webhook-secret`,
          {
            rotate: o.rotate === true,
          },
        ),
      ),
    )
}
