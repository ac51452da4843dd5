// The stats of SPEC §5.4, computed the plain way (sort, count, compare
// dates), to check `calltrail stats` and TrailStats against.

import type { CallEvent } from "../../mod.ts";

/** An RFC 3339 time as [ms, ns below the ms], the plain way. */
function instant(ts: string): [number, number] {
  const fraction = /\.(\d+)/.exec(ts)?.[1] ?? "";
  const ms = new Date(ts.replace(/\.\d+/, "")).getTime();
  const ns = Number(fraction.padEnd(9, "0").slice(0, 9));
  return [ms + Math.floor(ns / 1e6), ns % 1e6];
}

function earlier(a: string, b: string): boolean {
  const [am, an] = instant(a);
  const [bm, bn] = instant(b);
  return am < bm || (am === bm && an < bn);
}

/** Nearest rank: the smallest value with at least p% of the values at or below it. */
export function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  for (const value of sorted) {
    const atOrBelow = sorted.filter((v) => v <= value).length;
    if (atOrBelow * 100 >= p * sorted.length) return value;
  }
  throw new Error("no values");
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** What `stats --json` must print for `events` and these bad lines. */
export function referenceStats(
  events: CallEvent[],
  invalid = 0,
  torn = 0,
): Record<string, unknown> {
  // Without a prototype, so that a key "__proto__" is an ordinary key.
  const byOutcome: Record<string, number> = Object.create(null);
  const byCaller: Record<string, number> = Object.create(null);
  const denied: Record<string, number> = Object.create(null);
  const tools = new Map<string, CallEvent[]>();
  let first: string | null = null;
  let last: string | null = null;
  for (const event of events) {
    count(byOutcome, event.outcome.kind);
    if (event.caller_id !== undefined) count(byCaller, event.caller_id);
    if (event.outcome.kind === "capability_denied") {
      for (const cap of event.outcome.missing) count(denied, cap);
    }
    tools.set(event.tool_id, [...(tools.get(event.tool_id) ?? []), event]);
    if (first === null || earlier(event.ts, first)) first = event.ts;
    if (last === null || earlier(last, event.ts)) last = event.ts;
  }
  const byTool: Record<string, unknown> = Object.create(null);
  for (const [id, list] of tools) {
    const durations = list.map((e) => e.duration_ms);
    const outcomes: Record<string, number> = Object.create(null);
    for (const e of list) count(outcomes, e.outcome.kind);
    byTool[id] = {
      calls: list.length,
      p50_ms: nearestRank(durations, 50),
      p95_ms: nearestRank(durations, 95),
      p99_ms: nearestRank(durations, 99),
      max_ms: Math.max(...durations),
      by_outcome: outcomes,
    };
  }
  return {
    calls: events.length,
    invalid_lines: invalid,
    torn_lines: torn,
    first_ts: first,
    last_ts: last,
    by_outcome: byOutcome,
    by_tool: byTool,
    by_caller: byCaller,
    denied_capabilities: denied,
  };
}
