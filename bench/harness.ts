/** One measured operation: per-op latencies (median, p99) and throughput over the whole run. */
export interface Figure {
  name: string
  ops: number
  medianUs: number
  p99Us: number
  perSecond: number
  /** CPU time (user + system, all threads) per op: steadier than wall time on a loaded machine. */
  cpuUs?: number
}

/** Runs `op` `warmup` times, then `iterations` times one at a time, timing each with hrtime. */
export async function measure(
  name: string,
  op: (i: number) => Promise<unknown> | unknown,
  { warmup = 200, iterations = 2000 }: { warmup?: number; iterations?: number } = {},
): Promise<Figure> {
  for (let i = 0; i < warmup; i++) await op(i)
  const samples = new Float64Array(iterations)
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint()
    await op(warmup + i)
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000
  }
  const totalS = Number(process.hrtime.bigint() - start) / 1e9
  samples.sort()
  return {
    name,
    ops: iterations,
    medianUs: samples[Math.floor(iterations / 2)] ?? 0,
    p99Us: samples[Math.floor(iterations * 0.99)] ?? 0,
    perSecond: iterations / totalS,
  }
}

/** Prints figures as a table, each with its ratio to the named baseline measured in the same process. */
export function printTable(rows: ReadonlyArray<{ figure: Figure; baseline?: Figure }>): void {
  const header = ['figure', 'median µs', 'p99 µs', 'ops/s', 'baseline', 'ratio (median)']
  // A figure measured as a throughput has no per-op percentiles (NaN, and null once it has crossed JSON).
  const number = (value: number | null, digits: number) =>
    typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-'
  const lines = rows.map(({ figure, baseline }) => [
    figure.name,
    number(figure.medianUs, 1),
    number(figure.p99Us, 1),
    number(figure.perSecond, 0),
    baseline?.name ?? '-',
    baseline ? `${(figure.medianUs / baseline.medianUs).toFixed(2)}x` : '-',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
  process.stdout.write(`${fmt(header)}\n${fmt(widths.map((w) => '-'.repeat(w)))}\n`)
  for (const line of lines) process.stdout.write(`${fmt(line)}\n`)
}

/** A suite's table rows and its named figures for `--json`. */
export interface Suite {
  rows: Array<{ figure: Figure; baseline?: Figure }>
  figures: Record<string, number>
}

export function round(value: number): number {
  return Math.round(value * 100) / 100
}
