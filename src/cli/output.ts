/**
 * Text output for people: colour on a terminal (never under NO_COLOR), and
 * aligned columns.
 */

/** Whether to colour what goes to `stream`. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== "dumb";
}

/** Wraps `text` in an SGR colour code when the stream takes colour. */
export function paint(stream: NodeJS.WriteStream, sgr: string, text: string): string {
  return useColor(stream) ? `\u001b[${sgr}m${text}\u001b[0m` : text;
}

/** Aligns rows into columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Writes a line to stdout. */
export function out(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a JSON document to stdout. */
export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a note for a person to stderr. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}
