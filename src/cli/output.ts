/** Prints rows as an aligned text table. */
export function printTable(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): void {
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column])))
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...cells.map((cell) => (cell[i] ?? '').length)),
  )
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`)
  for (const cell of cells) process.stdout.write(`${line(cell)}\n`)
}

/** Prints a value as indented JSON. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (Array.isArray(value)) return value.join(',') || '-'
  return String(value)
}
