import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { WardenError } from '../kernel/index.js'
import { type Config, configSchema } from './schema.js'

/** Overrides from command-line flags; each wins over the environment and the file. */
export interface ConfigFlags {
  config?: string | undefined
  data?: string | undefined
  host?: string | undefined
  port?: string | number | undefined
  /** A PostgreSQL URL: the store nodes share (`store.kind: postgres`). */
  store?: string | undefined
}

type Raw = Record<string, unknown>

function setPath(target: Raw, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    node[key] = typeof next === 'object' && next !== null ? next : {}
    node = node[key] as Raw
  }
  node[path[path.length - 1] as string] = value
}

/** Variables read from the environment and the config key each sets. */
const ENV_KEYS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['WARDEN_DATA', ['dataDir']],
  ['WARDEN_HOST', ['server', 'host']],
  ['WARDEN_PORT', ['server', 'port']],
  ['WARDEN_PUBLIC_URL', ['server', 'publicUrl']],
  ['WARDEN_TRUST_DOMAIN', ['trustDomain']],
  ['WARDEN_STORE_URL', ['store', 'url']],
]

/** Formats zod issues as `key: message` lines, so a bad value is reported by its key. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
}

/**
 * Builds the configuration from defaults < file < environment < flags and validates it.
 * @throws WardenError `CONFIG_INVALID` naming every bad key.
 */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Raw = {}
  const file = flags.config ?? env.WARDEN_CONFIG
  if (file) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (cause) {
      throw new WardenError('CONFIG_INVALID', `cannot read config file \`${file}\``, { cause })
    }
    let parsed: unknown
    try {
      parsed = parseYaml(text)
    } catch (cause) {
      throw new WardenError(
        'CONFIG_INVALID',
        `config file \`${file}\` is not valid YAML: ${(cause as Error).message}`,
        {
          cause,
        },
      )
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new WardenError('CONFIG_INVALID', `config file \`${file}\` must hold a mapping`)
      }
      Object.assign(raw, parsed)
    }
  }
  for (const [name, path] of ENV_KEYS) {
    const value = env[name]
    if (value !== undefined && value !== '') setPath(raw, path, value)
  }
  if (env.WARDEN_STORE_URL && !(raw.store as Raw | undefined)?.kind)
    setPath(raw, ['store', 'kind'], 'postgres')
  if (flags.store !== undefined) {
    setPath(raw, ['store', 'kind'], 'postgres')
    setPath(raw, ['store', 'url'], flags.store)
  }
  if (flags.data !== undefined) setPath(raw, ['dataDir'], flags.data)
  if (flags.host !== undefined) setPath(raw, ['server', 'host'], flags.host)
  if (flags.port !== undefined) setPath(raw, ['server', 'port'], flags.port)

  const result = configSchema.safeParse(raw)
  if (!result.success) {
    throw new WardenError('CONFIG_INVALID', `invalid configuration: ${describeIssues(result.error.issues)}`, {
      details: { issues: result.error.issues.map((i) => ({ key: i.path.join('.'), message: i.message })) },
    })
  }
  return result.data
}
