/** Plain aligned columns: readable in a terminal, greppable, no box drawing. */
export function renderTable (header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells
    .map((c, i) => rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
