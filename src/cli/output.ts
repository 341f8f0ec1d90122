import type { Command } from 'commander'
import pc from 'picocolors'

/** How data commands print: `-o table` (default, for people) or `-o json` (for scripts), or one `--field`. */
export type OutputFormat = 'table' | 'json'

/** `undefined`: the command's own default — JSON for a single result, a table for a list (as before `-o`). */
const settings: { format: OutputFormat | undefined; field: string | undefined } = {
  format: undefined,
  field: undefined,
}

/** Commands that print no data of their own (streams, servers, scripted runs): no `-o` there. */
const NO_OUTPUT_OPTION = new Set([
  'serve',
  'gateway stdio',
  'demo',
  'replay',
  'chain export',
  'chain public-key',
  'events',
])

/** The command's path below the program, e.g. `agent list`. */
export function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/** Every leaf command of the program (the ones that run an action). */
export function leafCommands(program: Command): Command[] {
  return program.commands.flatMap((command) =>
    command.commands.length > 0 ? leafCommands(command) : [command],
  )
}

/**
 * Gives every data command `-o, --output table|json` and `--field NAME`, and reads them before its action runs,
 * so each command prints through `printJson` / `printTable` without handling the flags itself.
 */
export function addOutputOptions(program: Command): void {
  for (const command of leafCommands(program)) {
    if (NO_OUTPUT_OPTION.has(commandPath(command))) continue
    command
      .option('-o, --output <format>', 'table | json (default: json for one result, table for a list)')
      .option('--field <name>', 'print only this field of the result (scripts: `$(warden … --field token)`)')
  }
  program.hook('preAction', (_program, action) => {
    const o = action.opts() as { output?: string; json?: boolean; field?: string }
    if (o.output !== undefined && o.output !== 'table' && o.output !== 'json')
      action.error(
        `error: option '-o, --output <format>' must be \`table\` or \`json\`, not \`${o.output}\``,
        {
          exitCode: 2,
          code: 'commander.invalidArgument',
        },
      )
    settings.format = o.json ? 'json' : (o.output as OutputFormat | undefined)
    settings.field = o.field
  })
}

/** Prints a result: JSON (default, `-o json`), a table or key/value list (`-o table`), or one `--field`. */
export function printJson(value: unknown): void {
  if (settings.field !== undefined) {
    const picked =
      value !== null && typeof value === 'object'
        ? (value as Record<string, unknown>)[settings.field]
        : undefined
    process.stdout.write(`${typeof picked === 'string' ? picked : JSON.stringify(picked ?? null)}\n`)
    return
  }
  if (settings.format !== 'table') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    return
  }
  const rows = listOf(value)
  if (rows) printRows(rows, scalarColumns(rows))
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) printObject(value)
  else process.stdout.write(`${formatCell('', value)}\n`)
}

/** Prints rows as an aligned table (default, `-o table`) with the given columns, or as JSON (`-o json`). */
export function printTable(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): void {
  if (settings.format === 'json' || settings.field !== undefined) printJson(rows)
  else printRows(rows, columns)
}

function printRows(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): void {
  if (rows.length === 0) {
    process.stdout.write(`${pc.dim('(none)')}\n`)
    return
  }
  const cells = rows.map((row) => columns.map((column) => formatCell(column, row[column])))
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((cell) => (cell[i] ?? '').length)),
  )
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  process.stdout.write(`${pc.bold(line(columns.map((c) => c.toUpperCase())))}\n`)
  for (const cell of cells) process.stdout.write(`${line(cell)}\n`)
}

function printObject(value: object): void {
  const entries = Object.entries(value)
  const width = Math.max(0, ...entries.map(([key]) => key.length))
  for (const [key, inner] of entries) {
    const text =
      inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? JSON.stringify(inner)
        : formatCell(key, inner)
    process.stdout.write(`${pc.bold(key.padEnd(width))}  ${text}\n`)
  }
}

/** An array of objects, or the list an object wraps alone (`{ agents: [...] }`). */
function listOf(value: unknown): Array<Record<string, unknown>> | undefined {
  const isRows = (v: unknown): v is Array<Record<string, unknown>> =>
    Array.isArray(v) && v.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item))
  if (isRows(value)) return value
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.values(value)
    if (entries.length === 1 && isRows(entries[0])) return entries[0]
  }
  return undefined
}

/** The columns of a generic table: keys whose values are scalars or short lists, in first-seen order, at most 8. */
function scalarColumns(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const columns: string[] = []
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (columns.includes(key) || (value !== null && typeof value === 'object' && !Array.isArray(value)))
        continue
      columns.push(key)
    }
  }
  return columns.slice(0, 8)
}

/** Epoch milliseconds under a time-like key print as ISO-8601 (UTC). */
const TIME_KEY = /(At|ts|Time|^since|^until)$/

function formatCell(key: string, value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'number' && TIME_KEY.test(key) && value > 1e11) return new Date(value).toISOString()
  if (Array.isArray(value))
    return (
      value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(',') || '-'
    )
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
