#!/usr/bin/env node
import { Command } from 'commander'
import { isWardenError } from '../kernel/index.js'
import { WardenApiError } from '../sdk/index.js'
import { addIdentityCommands } from './agent.js'
import { addApprovalCommands } from './approvals.js'
import { addChainCommands } from './chain.js'
import { addDemoCommand } from './demo.js'
import { addGatewayCommands } from './gateway.js'
import { addKeyCommands } from './keys.js'
import { addPolicyCommands } from './policy.js'
import { addReplayCommand } from './replay.js'
import { addReportCommands } from './report.js'
import { serve } from './serve.js'
import { addTaskCommands } from './task.js'

const program = new Command()
program.name('warden').description('Runtime governance for AI agents').showHelpAfterError()

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
  .action(serve)

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

program.parseAsync(process.argv).catch((error: unknown) => {
  const message =
    isWardenError(error) || error instanceof WardenApiError
      ? `${error.code}: ${error.message}`
      : String((error as Error).message ?? error)
  process.stderr.write(`warden: ${message}\n`)
  process.exit(1)
})
