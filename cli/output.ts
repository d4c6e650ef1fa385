/**
 * Plain aligned columns for people; `--json` output bypasses this. `style` may colour a body cell
 * (row and column from 0); widths are measured on the plain text, so colour never breaks alignment.
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style?: (text: string, row: number, column: number) => string,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], row: number) =>
    cells
      .map((c, i) => {
        const shown = style && row >= 0 ? style(c, row, i) : c;
        return i === cells.length - 1 ? shown : shown + ' '.repeat(Math.max(0, (widths[i] ?? 0) - c.length));
      })
      .join('  ')
      .trimEnd();
  return [line(headers, -1), ...rows.map(line)].join('\n');
}

/** "42s ago", "5m ago", "3h ago": the age of an RFC 3339 time at `now`. */
export function age(time: string | undefined, now: number): string {
  if (!time) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(time)) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}

/** Colour only for a person at a terminal: `stream` is a TTY and NO_COLOR (https://no-color.org) is unset or empty. */
export function useColour(
  env: NodeJS.ProcessEnv,
  stream: { readonly isTTY?: boolean } = process.stdout,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const SGR = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35 } as const;
export type Colour = keyof typeof SGR;

/** `text` in `colour` when `on`; as it is otherwise (and always when empty). */
export function paint(text: string, colour: Colour, on: boolean): string {
  return on && text !== '' ? `\u001b[${SGR[colour]}m${text}\u001b[0m` : text;
}

/** The colour of each agent state, as the console shows it. */
export const STATE_COLOURS: Readonly<Record<string, Colour>> = {
  healthy: 'green',
  late: 'yellow',
  failed: 'red',
  unreachable: 'red',
  rejected: 'red',
  maintenance: 'magenta',
  pending: 'blue',
  new: 'dim',
};
