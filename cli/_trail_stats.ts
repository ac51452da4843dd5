// Internal: the numbers of `calltrail stats`, which `calltrail report` draws
// too: counts per outcome, tool and caller, latency percentiles per tool,
// denied capabilities, the time range, and the lines that were not events.

import type { CallEvent } from "../mod.ts";
import { compareInstants } from "./_instant.ts";

/** Latency and outcomes of one tool, as `stats --json` prints them. */
export interface ToolStats {
  calls: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  by_outcome: Record<string, number>;
}

/** What `calltrail stats --json` prints (SPEC §5.4). */
export interface StatsJson {
  calls: number;
  invalid_lines: number;
  torn_lines: number;
  first_ts: string | null;
  last_ts: string | null;
  by_outcome: Record<string, number>;
  by_tool: Record<string, ToolStats>;
  by_caller: Record<string, number>;
  denied_capabilities: Record<string, number>;
}

/** Durations below this are counted in an array, the others in a map. */
const DENSE_MS = 4096;

/** The durations of one tool, as counts per value: exact, and small. */
class Durations {
  readonly dense = new Float64Array(DENSE_MS);
  readonly sparse = new Map<number, number>();
  count = 0;
  max = 0;

  add(ms: number): void {
    this.count++;
    if (ms > this.max) this.max = ms;
    if (ms < DENSE_MS) this.dense[ms]++;
    else this.sparse.set(ms, (this.sparse.get(ms) ?? 0) + 1);
  }

  /**
   * Nearest-rank percentiles: for each p, the smallest value with at least
   * p% of the calls at or below it.
   */
  percentiles(ps: number[]): number[] {
    const ranks = ps.map((p) => Math.max(1, Math.ceil((p / 100) * this.count)));
    const out: number[] = [];
    let seen = 0;
    let next = 0;
    const visit = (value: number, n: number) => {
      seen += n;
      while (next < ranks.length && seen >= ranks[next]) {
        out.push(value);
        next++;
      }
    };
    for (let ms = 0; ms < DENSE_MS && next < ranks.length; ms++) {
      if (this.dense[ms] > 0) visit(ms, this.dense[ms]);
    }
    if (next < ranks.length) {
      for (const ms of [...this.sparse.keys()].sort((a, b) => a - b)) {
        visit(ms, this.sparse.get(ms)!);
        if (next === ranks.length) break;
      }
    }
    return out;
  }
}

interface Tool {
  durations: Durations;
  byOutcome: Map<string, number>;
}

function bump(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/**
 * The counts of a map, largest first (ties by key), as a plain object (with
 * own keys only: a caller named `__proto__` is a key like any other).
 */
function record(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries(sorted(map));
}

/** The entries of a map, largest first, ties by key. */
export function sorted(map: Map<string, number>): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** Accumulates the stats of a trail, one event (or bad line) at a time. */
export class TrailStats {
  calls = 0;
  invalidLines = 0;
  tornLines = 0;
  firstTs: string | null = null;
  lastTs: string | null = null;
  readonly byOutcome = new Map<string, number>();
  readonly byCaller = new Map<string, number>();
  readonly denied = new Map<string, number>();
  readonly #tools = new Map<string, Tool>();

  /** Counts one event. */
  add(event: CallEvent): void {
    this.calls++;
    const kind = event.outcome.kind;
    bump(this.byOutcome, kind);
    let tool = this.#tools.get(event.tool_id);
    if (tool === undefined) {
      tool = { durations: new Durations(), byOutcome: new Map() };
      this.#tools.set(event.tool_id, tool);
    }
    tool.durations.add(event.duration_ms);
    bump(tool.byOutcome, kind);
    if (event.caller_id !== undefined) bump(this.byCaller, event.caller_id);
    if (event.outcome.kind === "capability_denied") {
      for (const cap of event.outcome.missing) bump(this.denied, cap);
    }
    const ts = event.ts;
    if (this.firstTs === null || compareInstants(ts, this.firstTs) < 0) {
      this.firstTs = ts;
    }
    if (this.lastTs === null || compareInstants(ts, this.lastTs) > 0) {
      this.lastTs = ts;
    }
  }

  /** Counts a bad line: torn when `error.name` says so, else invalid. */
  bad(error: Error): void {
    if (error.name === "TornLineError") this.tornLines++;
    else this.invalidLines++;
  }

  /** The stats of each tool, most called first. */
  tools(): [string, ToolStats][] {
    const tools = [...this.#tools].map(([id, tool]): [string, ToolStats] => {
      const [p50, p95, p99] = tool.durations.percentiles([50, 95, 99]);
      return [id, {
        calls: tool.durations.count,
        p50_ms: p50,
        p95_ms: p95,
        p99_ms: p99,
        max_ms: tool.durations.max,
        by_outcome: record(tool.byOutcome),
      }];
    });
    return tools.sort((a, b) =>
      b[1].calls - a[1].calls || (a[0] < b[0] ? -1 : 1)
    );
  }

  /** The JSON object of `stats --json`, in SPEC §5.4's shape. */
  toJSON(): StatsJson {
    return {
      calls: this.calls,
      invalid_lines: this.invalidLines,
      torn_lines: this.tornLines,
      first_ts: this.firstTs,
      last_ts: this.lastTs,
      by_outcome: record(this.byOutcome),
      by_tool: Object.fromEntries(this.tools()),
      by_caller: record(this.byCaller),
      denied_capabilities: record(this.denied),
    };
  }
}
