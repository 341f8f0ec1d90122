import type { Command } from 'commander'
import type { KeyInfo } from '../identity/index.js'
import { createApiClient } from './api-client.js'
import { printJson as print } from './output.js'

/** `warden keys list|prepare|activate|rotate|taint|revoke`: SPIRE's forced rotation of the signing key. */
export function addKeyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('signing keys: forced rotation (prepare → activate → taint → revoke)')
  const withUrl = (command: Command) =>
    command.option('--url <url>', 'Warden URL (default $WARDEN_URL or http://127.0.0.1:8700)')

  withUrl(keys.command('list'))
    .description('every key that still verifies, with its state')
    .action(async (o) => print((await createApiClient(o).call<{ keys: KeyInfo[] }>('GET', '/v1/keys')).keys))
  withUrl(keys.command('prepare'))
    .description('add a key to the JWKS that signs only once activated')
    .action(async (o) => print(await createApiClient(o).call<KeyInfo>('POST', '/v1/keys/prepare')))
  withUrl(keys.command('activate'))
    .description('sign with the prepared key from now on; the old one keeps verifying')
    .action(async (o) => print(await createApiClient(o).call<KeyInfo>('POST', '/v1/keys/activate')))
  withUrl(keys.command('rotate'))
    .description('prepare and activate a new key at once')
    .action(async (o) => print(await createApiClient(o).call<KeyInfo>('POST', '/v1/keys/rotate')))
  withUrl(keys.command('taint <kid>'))
    .description('mark a key that no longer signs as compromised (it may then be revoked)')
    .action(async (kid: string, o) =>
      print(await createApiClient(o).call<KeyInfo>('POST', `/v1/keys/${encodeURIComponent(kid)}/taint`)),
    )
  withUrl(keys.command('revoke <kid>'))
    .description('remove a tainted key: every token it signed stops verifying')
    .action(async (kid: string, o) => {
      await createApiClient(o).call('POST', `/v1/keys/${encodeURIComponent(kid)}/revoke`)
      process.stdout.write(`revoked ${kid}\n`)
    })
}
