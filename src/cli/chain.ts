import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import {
  type ActivityEventV1,
  ChainReader,
  type Checkpoint,
  parseCheckpoints,
  parsePublicKey,
  toEvent,
  verifyChain,
} from '../chain/index.js'
import { type Config, loadConfig } from '../config/index.js'
import { parseDuration, WardenError } from '../kernel/index.js'
import { openStore, type Store } from '../store/index.js'
import { CliError, EXIT } from './exit-codes.js'

interface OfflineFlags {
  config?: string
  data?: string
}

/** Opens the chain straight from the store named by the config or `--data`: no server, no admin token. */
async function withChain<T>(
  flags: OfflineFlags,
  work: (chain: ChainReader, dataDir: string, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ config: flags.config, data: flags.data })
  const dataDir = resolve(config.dataDir)
  const store: Store = openStore(config.store, dataDir, { mustExist: true })
  try {
    return await work(new ChainReader(store), dataDir, config)
  } finally {
    await store.close()
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (cause) {
    throw new WardenError('BAD_REQUEST', `cannot read ${what} \`${file}\``, { cause })
  }
}

function printEvent(event: ActivityEventV1): void {
  const ts = new Date(event.ts).toISOString()
  process.stdout.write(
    `${String(event.seq).padStart(6)}  ${ts}  ${event.kind.padEnd(19)} ${event.agent ?? '-'}\n`,
  )
  process.stdout.write(`        ${JSON.stringify(event.body)}\n`)
}

/** `warden chain verify|show|export|public-key`: offline, on the data directory (or the configured store). */
export function addChainCommands(program: Command): void {
  const chain = program
    .command('chain')
    .description('verify, inspect and export the activity chain (offline)')
  const offline = (command: Command) =>
    command
      .option('--config <file>', 'warden.yaml')
      .option('--data <dir>', 'data directory (default ./.warden)')

  offline(chain.command('verify'))
    .description('check every record, link and signed checkpoint; exit 1 naming the first bad seq')
    .option('--from <seq>', 'start at this seq', (value) => Number.parseInt(value, 10))
    .option(
      '--public-key <file>',
      'the deployment public key (PEM or JWK); default <data>/keys/chain-public.pem',
    )
    .option(
      '--checkpoint <file>',
      'signed checkpoints kept outside Warden (`warden chain checkpoint` output, or a witness file): the chain must still hold each',
    )
    .option(
      '--max-age <duration>',
      'refuse a chain whose newest signed checkpoint is older than this (default `chain.maxCheckpointAge`)',
    )
    .action(async (o) => {
      const verdict = await withChain(o, async (reader, dataDir, config) => {
        const keyFile = o.publicKey ?? join(dataDir, 'keys', 'chain-public.pem')
        const text = readText(keyFile, 'public key')
        const anchors: Checkpoint[] = o.checkpoint
          ? parseCheckpoints(readText(o.checkpoint, 'checkpoint file'))
          : []
        const maxAge = o.maxAge === undefined ? config.chain.maxCheckpointAge : parseDuration(o.maxAge)
        if (o.maxAge !== undefined && (maxAge === undefined || maxAge <= 0))
          throw new WardenError('BAD_REQUEST', '`--max-age` must be a duration like `10m`')
        return verifyChain(reader, parsePublicKey(text), {
          ...(o.from ? { from: o.from } : {}),
          anchors,
          requireCheckpoint: true,
          ...(maxAge !== undefined ? { maxCheckpointAge: maxAge, now: Date.now() } : {}),
        })
      })
      if (verdict.ok) {
        process.stdout.write(
          `chain intact: ${verdict.records} records, head seq ${verdict.head.seq} ${verdict.head.hash.slice(0, 16)}…, ${verdict.checkpoints} signed checkpoints\n`,
        )
      } else {
        process.stdout.write(`chain damaged at seq ${verdict.seq}: ${verdict.damage}: ${verdict.message}\n`)
        process.exitCode = 1
      }
    })

  offline(chain.command('checkpoint'))
    .description(
      'print the newest signed checkpoint as JSON: keep it outside Warden for `verify --checkpoint`',
    )
    .action(async (o) => {
      await withChain(o, async (reader) => {
        const newest = (await reader.checkpoints()).at(-1)
        if (!newest) throw new WardenError('NOT_FOUND', 'the chain has no signed checkpoint yet')
        process.stdout.write(`${JSON.stringify(newest)}\n`)
      })
    })

  offline(chain.command('show <task>'))
    .description("print a task's activity in order")
    .option('--json', 'print JSON lines (same as -o json)')
    .action(async (task: string, o) => {
      await withChain(o, async (reader) => {
        let after = 0
        for (;;) {
          const events = await reader.query({ task, after, limit: 1000 })
          if (after === 0 && events.length === 0)
            throw new CliError(`no records of task \`${task}\` in the chain`, EXIT.notFound)
          for (const event of events) {
            if (o.json || o.output === 'json') process.stdout.write(`${JSON.stringify(event)}\n`)
            else printEvent(event)
          }
          if (events.length < 1000) break
          after = (events[events.length - 1] as ActivityEventV1).seq
        }
      })
    })

  offline(chain.command('export'))
    .description('print every record as JSON lines (seq, prev and hash included, so the export verifies)')
    .option('--from <seq>', 'start at this seq', (value) => Number.parseInt(value, 10))
    .action(async (o) => {
      await withChain(o, async (reader) => {
        let from = o.from ?? 1
        for (;;) {
          const rows = await reader.rows(from, 5000)
          for (const row of rows) process.stdout.write(`${JSON.stringify(toEvent(row))}\n`)
          if (rows.length < 5000) break
          from = (rows[rows.length - 1]?.seq ?? from) + 1
        }
      })
    })

  offline(chain.command('public-key'))
    .description('print the public key that verifies checkpoints (keep a copy outside the data directory)')
    .action(async (o) => {
      const config = loadConfig({ config: o.config, data: o.data })
      process.stdout.write(readFileSync(join(resolve(config.dataDir), 'keys', 'chain-public.pem'), 'utf8'))
    })
}
