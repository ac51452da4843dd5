// Internal: plain-text layout for the CLI: numbers with thousands
// separators, aligned tables, and colour only where it belongs (a TTY, and
// no NO_COLOR).

import { cliProcess } from "./_node.ts";

/** `1234567` as `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** A share of a total as a percentage with one decimal. */
export function percent(n: number, total: number): string {
  return total === 0 ? "0.0" : ((100 * n) / total).toFixed(1);
}

/**
 * Lays out rows under a header, columns separated by two spaces; columns
 * whose index is in `right` are right-aligned (numbers).
 */
export function table(
  header: string[],
  rows: string[][],
  right: number[] = [],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) =>
    Math.max(...all.map((row) => [...(row[c] ?? "")].length))
  );
  return all.map((row) =>
    row.map((cell, c) => {
      const pad = " ".repeat(widths[c] - [...cell].length);
      return right.includes(c) ? pad + cell : cell + pad;
    }).join("  ").trimEnd()
  ).join("\n");
}

/** SGR colours by name. */
const CODES = {
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  magenta: 35,
  cyan: 36,
} as const;

/** A colour name of {@linkcode paint}. */
export type Colour = keyof typeof CODES;

/**
 * Whether to colour what goes to `stream`: only on a TTY, and never when
 * NO_COLOR is set to anything but the empty string (https://no-color.org).
 */
export function useColour(stream: { isTTY?: boolean }): boolean {
  const noColor = cliProcess().env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === "");
}

/** `text` in `colour` when `on`, else as it is. */
export function paint(on: boolean, colour: Colour, text: string): string {
  return on ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/**
 * A value from a log, made safe for a terminal: control characters and
 * bidirectional overrides (which could move the cursor or disguise text)
 * are shown as `\uXXXX` escapes.
 */
export function printable(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
