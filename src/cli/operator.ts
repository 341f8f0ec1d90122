import type { Command } from 'commander'
import { OPERATOR_ROLES } from '../config/index.js'
import { createApiClient } from './api-client.js'
import { CliError, EXIT } from './exit-codes.js'
import { printJson, printTable } from './output.js'

/** `warden operator add|list|revoke|whoami`: named people with a role, each with a token of their own. */
export function addOperatorCommands(program: Command): void {
  const operator = program
    .command('operator')
    .alias('operators')
    .description('people who run Warden: a name, a role, a token (docs/decisions/015)')
  const withUrl = (command: Command) =>
    command.option('--url <url>', 'Warden URL (default $WARDEN_URL or http://127.0.0.1:8700)')

  withUrl(operator.command('add <name>'))
    .description('give a person a role and a token (printed once: hand it over, it is stored only as a hash)')
    .requiredOption('--role <role>', OPERATOR_ROLES.join(' | '))
    .action(async (name: string, o) => {
      if (!(OPERATOR_ROLES as readonly string[]).includes(o.role))
        throw new CliError(`\`--role\` must be one of ${OPERATOR_ROLES.join(', ')}`, EXIT.usage)
      printJson(await createApiClient(o).call('POST', '/v1/operators', { name, role: o.role }))
    })
  withUrl(operator.command('list'))
    .description('every named operator, revoked ones included (never their tokens)')
    .option('--json', 'print JSON (same as -o json)')
    .action(async (o) => {
      const { operators } = await createApiClient(o).call<{ operators: Array<Record<string, unknown>> }>(
        'GET',
        '/v1/operators',
      )
      if (o.json) printJson(operators)
      else printTable(operators, ['name', 'role', 'createdAt', 'createdBy', 'revokedAt', 'revokedBy'])
    })
  withUrl(operator.command('revoke <name>'))
    .description("revoke an operator's token: refused from its next request on (the name stays taken)")
    .action(async (name: string, o) =>
      printJson(await createApiClient(o).call('POST', `/v1/operators/${encodeURIComponent(name)}/revoke`)),
    )
  withUrl(operator.command('whoami'))
    .description('the operator and roles $WARDEN_TOKEN (or $WARDEN_ADMIN_TOKEN) signs in as')
    .action(async (o) => printJson(await createApiClient(o).call('GET', '/v1/operators/me')))
}
