import { readFileSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { type AgentCredential, WardenAgent } from '../sdk/index.js'
import { createApiClient } from './api-client.js'
import { printJson, printTable } from './output.js'

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** Restores a saved instance; a renewed SVID is written back to the file (mode 0600) before use. */
async function loadAgent(file: string): Promise<WardenAgent> {
  const agent = await WardenAgent.restore(JSON.parse(readFileSync(file, 'utf8')) as AgentCredential)
  agent.onRenew = (credential) =>
    writeFileSync(file, `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600 })
  await agent.ensureFreshSvid()
  return agent
}

/** `warden attest` (agent side) and `warden task …`. */
export function addTaskCommands(program: Command): void {
  program
    .command('attest')
    .description('attest this machine as an agent instance and save its key and SVID (mode 0600)')
    .requiredOption('--out <file>', 'where to save the credential')
    .option('--join-token <token>', 'a join token from `warden agent join-token`')
    .option('--oidc-token-file <file>', 'a file holding an OIDC/JWT token from a configured issuer')
    .option('--spiffe-jwt-file <file>', 'a file holding a JWT-SVID from a federated trust domain')
    .option('--code-digest <digest>', 'this workload’s code digest')
    .option('--url <url>', 'Warden URL (default $WARDEN_URL or http://127.0.0.1:8700)')
    .action(async (o) => {
      const url = o.url ?? process.env.WARDEN_URL ?? 'http://127.0.0.1:8700'
      const attestation = o.joinToken
        ? { method: 'join_token' as const, token: o.joinToken as string }
        : o.oidcTokenFile
          ? { method: 'oidc' as const, token: readFileSync(o.oidcTokenFile, 'utf8').trim() }
          : o.spiffeJwtFile
            ? { method: 'spiffe_jwt' as const, token: readFileSync(o.spiffeJwtFile, 'utf8').trim() }
            : undefined
      if (!attestation) throw new Error('give one of --join-token, --oidc-token-file, --spiffe-jwt-file')
      const agent = await WardenAgent.attest(
        url,
        o.codeDigest ? { ...attestation, codeDigest: o.codeDigest } : attestation,
      )
      writeFileSync(o.out, `${JSON.stringify(agent.toCredential(), null, 2)}\n`, { mode: 0o600 })
      printJson({ spiffeId: agent.spiffeId, credential: o.out })
    })

  const task = program.command('task').description('open, inspect and close tasks')
  task
    .command('open')
    .description('open a task as an attested instance; prints the task token')
    .requiredOption('--credential <file>', 'from `warden attest`')
    .requiredOption('--purpose <text>', 'what the task is for')
    .option('--prompt <text>', "the principal's request")
    .option('--tools <tools>', 'comma-separated tools the task needs', list)
    .option('--max-duration <duration>', 'e.g. 30m')
    .action(async (o) => {
      const agent = await loadAgent(o.credential)
      printJson(
        await agent.openTask({
          purpose: o.purpose,
          ...(o.prompt ? { prompt: o.prompt } : {}),
          ...(o.tools ? { tools: o.tools } : {}),
          ...(o.maxDuration ? { maxDuration: o.maxDuration } : {}),
        }),
      )
    })
  task
    .command('close <id>')
    .description(
      'close a task and everything delegated from it (admin, or the holder with --credential/--token)',
    )
    .option('--credential <file>')
    .option('--token <token>', 'the task token, with --credential')
    .option('--reason <text>', 'why', 'closed from the CLI')
    .option('--url <url>')
    .action(async (id: string, o) => {
      if (o.credential && o.token) {
        const agent = await loadAgent(o.credential)
        printJson({
          closed: await agent.closeTask(
            { taskId: id, token: o.token, expiresAt: '', scope: [], tier: '' },
            o.reason,
          ),
        })
      } else {
        printJson(
          await createApiClient(o).call('POST', `/v1/tasks/${encodeURIComponent(id)}/close`, {
            reason: o.reason,
          }),
        )
      }
    })
  task
    .command('show <id>')
    .description('show one task: intent, tier, status, delegation path')
    .option('--url <url>')
    .action(async (id: string, o) => {
      printJson(await createApiClient(o).call('GET', `/v1/tasks/${encodeURIComponent(id)}`))
    })
  task
    .command('list')
    .description('list tasks, newest first')
    .option('--agent <name>')
    .option('--status <status>', 'open | closed')
    .option('--json', 'print JSON (same as -o json)')
    .option('--url <url>')
    .action(async (o) => {
      const query = new URLSearchParams()
      if (o.agent) query.set('agent', o.agent)
      if (o.status) query.set('status', o.status)
      const { tasks } = await createApiClient(o).call<{ tasks: Array<Record<string, unknown>> }>(
        'GET',
        `/v1/tasks${query.size ? `?${query}` : ''}`,
      )
      if (o.json) printJson(tasks)
      else printTable(tasks, ['id', 'agent', 'tier', 'status', 'depth', 'parent', 'openedAt'])
    })
}
