import { Command } from 'commander'
import { VERSION } from '../kernel/index.js'
import { addIdentityCommands } from './agent.js'
import { addApprovalCommands } from './approvals.js'
import { addChainCommands } from './chain.js'
import { addDemoCommand } from './demo.js'
import { addGatewayCommands } from './gateway.js'
import { addKeyCommands } from './keys.js'
import { addOperatorCommands } from './operator.js'
import { addOpsCommands } from './ops.js'
import { addOutputOptions } from './output.js'
import { addPolicyCommands } from './policy.js'
import { addReplayCommand } from './replay.js'
import { addReportCommands } from './report.js'
import { addTaskCommands } from './task.js'

/** The whole command tree (built apart from running it, so tests can walk it). */
export function buildProgram(): Command {
  const program = new Command()
  program
    .name('warden')
    .description('Runtime governance for AI agents')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride()

  program
    .command('serve')
    .description('run the HTTP API on the embedded store')
    .option('--config <file>', 'warden.yaml (default $WARDEN_CONFIG)')
    .option('--data <dir>', 'data directory (default ./.warden)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8700)')
    .option(
      '--store <url>',
      'postgres://… — a store shared by any number of nodes (key-encryption key: $WARDEN_KEK)',
    )
    // Loaded on use, as every heavy command: `warden --version` or `agent list` need none of it.
    .action(async (flags) => (await import('./serve.js')).serve(flags))

  addIdentityCommands(program)
  addChainCommands(program)
  addTaskCommands(program)
  addPolicyCommands(program)
  addReplayCommand(program)
  addDemoCommand(program)
  addApprovalCommands(program)
  addGatewayCommands(program)
  addKeyCommands(program)
  addReportCommands(program)
  addOpsCommands(program)
  addOperatorCommands(program)
  addOutputOptions(program)
  return program
}
