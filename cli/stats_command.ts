// `calltrail stats`: what a trail holds, in numbers.

import { count, files, parse } from "./_args.ts";
import { summarize } from "./_summarize.ts";
import { sorted, type TrailStats } from "./_trail_stats.ts";
import { formatCount, percent, printable, table } from "./_text.ts";
import { cliProcess } from "./_node.ts";

/** The help of `calltrail stats`. */
export const STATS_HELP = `Usage: calltrail stats [--json] FILE...

Summarizes audit logs (rotated files oldest first, the live file last):
calls per outcome and per tool, p50/p95/p99/max duration_ms per tool
(nearest rank), top callers, denied capabilities, the time range, and the
lines that are not events (invalid) or were cut by a kill (torn). Bad lines
are counted, not fatal. On a terminal, large files show progress on stderr.

Options:
  --json       print one JSON object (the shape is in the README)
  --top N      callers and capabilities to list in the text output (10)
  -h, --help   show this help

Exit codes: 0 ok, 2 usage error or unreadable file.
`;

/** How many callers and capabilities the text output lists by default. */
const TOP = 10;

/** Runs `calltrail stats`; returns the exit code. */
export async function statsCommand(args: string[]): Promise<number> {
  const process = cliProcess();
  const parsed = parse("stats", args, {
    json: { type: "boolean" },
    top: { type: "string" },
  });
  if (parsed === undefined) {
    process.stdout.write(STATS_HELP);
    return 0;
  }
  const paths = files("stats", parsed);
  const top =
    count("stats", "--top", parsed.values.top as string | undefined) ??
      TOP;
  const stats = await summarize("stats", paths);
  process.stdout.write(
    parsed.values.json === true
      ? `${JSON.stringify(stats.toJSON(), null, 2)}\n`
      : statsText(stats, top),
  );
  return 0;
}

/** The readable form of the stats. */
export function statsText(stats: TrailStats, top = TOP): string {
  const out: string[] = [];
  const total = stats.calls;
  out.push(
    total === 0
      ? "No calls."
      : `${formatCount(total)} calls from ${stats.firstTs} to ${stats.lastTs}`,
  );
  out.push(
    `invalid lines: ${formatCount(stats.invalidLines)}, torn lines: ${
      formatCount(stats.tornLines)
    }`,
  );
  if (total > 0) {
    out.push(
      "",
      table(
        ["outcome", "calls", "%"],
        sorted(stats.byOutcome).map(([kind, n]) => [
          kind,
          formatCount(n),
          percent(n, total),
        ]),
        [1, 2],
      ),
      "",
      table(
        [
          "tool",
          "calls",
          "p50 ms",
          "p95 ms",
          "p99 ms",
          "max ms",
          "not success",
        ],
        stats.tools().map(([id, tool]) => [
          printable(id),
          formatCount(tool.calls),
          formatCount(tool.p50_ms),
          formatCount(tool.p95_ms),
          formatCount(tool.p99_ms),
          formatCount(tool.max_ms),
          formatCount(tool.calls - (tool.by_outcome.success ?? 0)),
        ]),
        [1, 2, 3, 4, 5, 6],
      ),
    );
    out.push("", ranking("caller", stats.byCaller, top));
    if (stats.denied.size > 0) {
      out.push("", ranking("denied capability", stats.denied, top));
    }
  }
  return `${out.join("\n")}\n`;
}

function ranking(
  name: string,
  counts: Map<string, number>,
  top: number,
): string {
  const rows = sorted(counts);
  const shown = rows.slice(0, top);
  const title = rows.length > shown.length
    ? `${name} (top ${shown.length} of ${formatCount(rows.length)})`
    : name;
  if (rows.length === 0) return `${name}: none named`;
  return table(
    [title, "calls"],
    shown.map(([key, n]) => [printable(key), formatCount(n)]),
    [1],
  );
}
