import { readFileSync } from 'node:fs'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { Command } from 'commander'
import { loadConfig } from '../config/index.js'
import { createJsonLogger } from '../kernel/index.js'
import { type AgentCredential, WardenAgent } from '../sdk/index.js'

/** `warden gateway stdio`: Warden as a local agent's MCP server, in front of one configured upstream. */
export function addGatewayCommands(program: Command): void {
  const gateway = program.command('gateway').description('the MCP gateway')
  gateway
    .command('stdio')
    .description('serve one upstream over stdio; the task token comes from $WARDEN_TASK_TOKEN')
    .requiredOption('--upstream <name>', 'a configured upstream')
    .option('--config <file>', 'warden.yaml')
    .option('--data <dir>', 'data directory')
    .option(
      '--credential <file>',
      'the instance credential (`warden attest`), for proofs of possession; default $WARDEN_CREDENTIAL',
    )
    .action(async (o) => {
      const token = process.env.WARDEN_TASK_TOKEN
      if (!token) throw new Error('WARDEN_TASK_TOKEN is not set')
      const credentialFile = o.credential ?? process.env.WARDEN_CREDENTIAL
      // Read once and dropped: nothing this process starts (the upstream) inherits the agent's credentials.
      delete process.env.WARDEN_TASK_TOKEN
      delete process.env.WARDEN_CREDENTIAL
      const agent = credentialFile
        ? await WardenAgent.restore(JSON.parse(readFileSync(credentialFile, 'utf8')) as AgentCredential)
        : undefined
      // stdout is the MCP channel: logs go to stderr only.
      const { composeWarden } = await import('../compose.js')
      const warden = await composeWarden(loadConfig({ config: o.config, data: o.data }), {
        logger: createJsonLogger(),
      })
      const url = `stdio://warden/gateway/${o.upstream}`
      // The token (with a proof from the instance's key where the tier requires one) is verified once; this
      // process is the only one on the channel, so each request after that re-checks expiry and revocation.
      const first = await warden.tasks.lifecycle.authenticate(token, {
        proof: agent ? await agent.proof('POST', url, token) : undefined,
        method: 'POST',
        url,
        scheme: 'DPoP',
      })
      const authenticate = () => warden.tasks.lifecycle.recheck(first)
      const transport = new StdioServerTransport()
      // Whichever comes first — the agent closing stdin or a signal — the chain's pending records are flushed.
      const stop = () => {
        warden.close().finally(() => process.exit(0))
      }
      transport.onclose = stop
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
      await warden.gateway.serveStdio(o.upstream, transport, authenticate)
    })
}
