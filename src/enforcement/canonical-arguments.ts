/**
 * Path arguments in one canonical form before anything decides on them (docs/decisions/008). A policy that permits
 * `context.input.path like "/workspace/*"` must not be passed by `/workspace/../etc/passwd`: the policy, the chain
 * record and the upstream all see the canonical value, and a value that has no single meaning is refused.
 */

/** The canonical arguments, and which argument paths changed; or why a value cannot be canonicalised. */
export type CanonicalArguments =
  | { ok: true; args: Record<string, unknown>; changed: string[] }
  | { ok: false; error: string }

/** Argument names that hold a filesystem path, by their last word (`path`, `inputPath`, `output_file` …). */
const PATH_WORDS: ReadonlySet<string> = new Set([
  'path',
  'paths',
  'pathname',
  'file',
  'files',
  'filename',
  'filenames',
  'filepath',
  'dir',
  'dirs',
  'directory',
  'directories',
  'folder',
  'folders',
])
/** Whole names that hold a path in common MCP servers (filesystem `move_file`: `source`, `destination`). */
const PATH_NAMES: ReadonlySet<string> = new Set([
  'source',
  'destination',
  'dest',
  'src',
  'cwd',
  'root',
  'workdir',
])

/** True when an argument's name says it holds a path: its last camelCase, snake_case or kebab-case word. */
export function isPathArgument(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
  const last = words.at(-1)
  return last !== undefined && (PATH_WORDS.has(last) || (words.length === 1 && PATH_NAMES.has(last)))
}

// Percent-encoded dot, slash, backslash, percent or NUL, and overlong UTF-8 lead bytes: whether the upstream
// decodes them is unknown, so the value has two meanings.
const ENCODED = /%(2e|2f|5c|25|00|c0|c1|e0%80)/i
// Control and format characters (NUL, zero-width joiners, bidi overrides): invisible in review, and cut or
// ignored by some file APIs.
const INVISIBLE = /[\p{Cc}\p{Cf}]/u

/**
 * The canonical form of one path: `\` as `/`, no empty or `.` segments, `..` resolved lexically (`/..` is `/`,
 * as POSIX has it). Relative paths stay relative; one whose `..` climbs above its start is refused (it depends
 * on the upstream's working directory). A `file:` URI keeps its scheme and authority.
 */
export function canonicalPath(value: string): { ok: true; path: string } | { ok: false; error: string } {
  if (INVISIBLE.test(value)) return { ok: false, error: 'holds a control or invisible character' }
  if (ENCODED.test(value)) return { ok: false, error: 'holds a percent-encoded separator or dot' }
  for (const char of value) {
    // Full-width and look-alike dots and slashes (`．`, `／`, `∕`): a normalising layer would make them real.
    if (char.charCodeAt(0) > 0x7f && /[./\\]/.test(char.normalize('NFKC')))
      return { ok: false, error: `holds \`${char}\`, which normalises to a separator or dot` }
  }
  let prefix = ''
  let rest = value
  const uri = /^file:\/\/([^/\\]*)/i.exec(value)
  if (uri) {
    prefix = `file://${uri[1]}`
    rest = value.slice(uri[0].length) || '/'
  }
  rest = rest.replaceAll('\\', '/')
  const absolute = rest.startsWith('/')
  const parts = rest.split('/')
  // `~` (home) and a drive (`C:`) are roots of their own: `..` does not climb out of them.
  const root = !absolute && /^(~[^/]*|[a-z]:)$/i.test(parts[0] ?? '') ? (parts.shift() as string) : undefined
  const out: string[] = []
  for (const part of parts) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length > 0) out.pop()
      else if (!absolute && root === undefined)
        return { ok: false, error: 'climbs above its starting directory' }
      else if (root !== undefined && !/^[a-z]:$/i.test(root))
        return { ok: false, error: 'climbs above the home directory' }
      continue
    }
    out.push(part)
  }
  const last = parts.at(-1)
  const trailing = out.length > 0 && last === '' && parts.length > 1 ? '/' : ''
  const joined = out.join('/')
  const path =
    root !== undefined
      ? `${root}/${joined}${trailing}`
      : absolute
        ? `/${joined}${trailing}`
        : `${joined}${trailing}` || '.'
  return { ok: true, path: `${prefix}${path}` }
}

/**
 * Canonicalises every path argument (by name, at any depth; a string or an array of strings) and every `file:`
 * URI, leaving every other value as it is. Fails closed: one path that cannot be canonicalised fails the whole call.
 */
export function canonicalArguments(args: Record<string, unknown>): CanonicalArguments {
  const changed: string[] = []
  let error: string | undefined
  const visit = (value: unknown, where: string, isPath: boolean): unknown => {
    if (error !== undefined) return value
    if (typeof value === 'string') {
      // A `file:` URI is a path whatever its argument is called (`uri`, `url`, `target` …).
      if (!isPath && !/^file:/i.test(value)) return value
      const canonical = canonicalPath(value)
      if (!canonical.ok) {
        error = `argument \`${where}\` ${canonical.error}`
        return value
      }
      if (canonical.path !== value) changed.push(where)
      return canonical.path
    }
    if (Array.isArray(value)) return value.map((item, i) => visit(item, `${where}[${i}]`, isPath))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [key, inner] of Object.entries(value)) {
        // Defined, not assigned: a `__proto__` key from JSON.parse stays a key instead of becoming the prototype.
        Object.defineProperty(out, key, {
          value: visit(inner, where ? `${where}.${key}` : key, isPathArgument(key)),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
      return out
    }
    return value
  }
  const canonical = visit(args, '', false) as Record<string, unknown>
  if (error !== undefined) return { ok: false, error }
  return { ok: true, args: changed.length > 0 ? canonical : args, changed }
}
