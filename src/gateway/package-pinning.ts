import { basename } from 'node:path'

/** Package runners that fetch what they run from a registry at spawn time, and how they name a package. */
const NPM_RUNNERS: ReadonlySet<string> = new Set(['npx', 'bunx', 'pnpx'])
/** `npm exec`, `pnpm dlx`, `yarn dlx`: a runner and its subcommand. */
const NPM_SUBCOMMANDS: Readonly<Record<string, string>> = { npm: 'exec', pnpm: 'dlx', yarn: 'dlx' }
const PY_RUNNERS: ReadonlySet<string> = new Set(['uvx', 'pipx'])
const CONTAINER_RUNNERS: ReadonlySet<string> = new Set(['docker', 'podman'])
/** Flags of npx/npm exec whose value is the next argument. */
const NPM_VALUE_FLAGS: ReadonlySet<string> = new Set([
  '-p',
  '--package',
  '-c',
  '--call',
  '--registry',
  '--cache',
  '--userconfig',
  '-w',
  '--workspace',
])

/** `name@1.2.3` (scoped or not, a pre-release allowed): exactly one published version. */
const EXACT_NPM = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/i
/** `name==1.2.3` or `name@1.2.3`. */
const EXACT_PY = /^[A-Za-z0-9][\w.-]*(\[[\w,.-]+\])?(==|@)\d+(\.\d+)*([a-z0-9.+-]*)$/i

/** A local file or directory: pinned by the filesystem, not fetched. */
function isLocal(spec: string): boolean {
  return spec.startsWith('/') || spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('file:')
}

/** The package specs an npm-style runner would fetch: every `--package`, else the first positional argument. */
function npmSpecs(args: readonly string[]): string[] {
  const packages: string[] = []
  let positional: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--') {
      positional ??= args[i + 1]
      break
    }
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined]
    if (flag === '-p' || flag === '--package') {
      const value = inline ?? args[++i]
      if (value !== undefined) packages.push(value)
    } else if (arg.startsWith('-')) {
      if (inline === undefined && NPM_VALUE_FLAGS.has(flag)) i++
    } else {
      positional ??= arg
      if (packages.length === 0) break
    }
  }
  return packages.length > 0 ? packages : positional !== undefined ? [positional] : []
}

/**
 * Why a stdio upstream's command would run code that is not pinned, or undefined (SC-03): a package runner
 * (`npx`, `npm exec`, `pnpm dlx`, `bunx`, `uvx`, `pipx run`) given a range, a tag or no version fetches whatever
 * the registry serves at spawn time — a new release runs unreviewed (postmark-mcp 1.0.16). An exact version is
 * required (or a local path); a container image must be pinned by digest.
 */
export function unpinnedPackage(command: readonly string[]): string | undefined {
  const [program, ...args] = command
  if (program === undefined) return undefined
  const name = basename(program).replace(/\.(cmd|exe)$/i, '')
  let specs: string[] | undefined
  let exact = EXACT_NPM
  if (NPM_RUNNERS.has(name)) specs = npmSpecs(args)
  else if (NPM_SUBCOMMANDS[name] !== undefined && args[0] === NPM_SUBCOMMANDS[name])
    specs = npmSpecs(args.slice(1))
  else if (PY_RUNNERS.has(name)) {
    const rest = name === 'pipx' ? (args[0] === 'run' ? args.slice(1) : undefined) : args
    if (rest) {
      const from = rest.indexOf('--from')
      const first = rest.find((arg) => !arg.startsWith('-'))
      specs = from >= 0 && rest[from + 1] !== undefined ? [rest[from + 1] as string] : first ? [first] : []
      exact = EXACT_PY
    }
  } else if (CONTAINER_RUNNERS.has(name) && args[0] === 'run') {
    if (!args.some((arg) => /@sha256:[0-9a-f]{64}$/i.test(arg)))
      return `\`${name} run\` needs an image pinned by digest (\`image@sha256:…\`)`
    return undefined
  }
  if (specs === undefined) return undefined
  if (specs.length === 0) return `\`${name}\` names no package`
  for (const spec of specs) {
    if (!isLocal(spec) && !exact.test(spec))
      return `\`${name} ${spec}\` is not pinned to an exact version (write \`${spec.replace(/@[^@/]*$/, '')}@1.2.3\`)`
  }
  return undefined
}
