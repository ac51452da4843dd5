// Internal: calls over time by outcome, for the report. Events are counted
// in buckets of a width that doubles up the ladder below whenever there are
// too many, so memory stays small however long the log spans; the report
// then merges them into at most MAX_BARS bars.

import type { CallEvent } from "../mod.ts";
import { instant } from "./_instant.ts";

/** The outcome kinds, in the order the charts stack and colour them. */
export const KINDS = [
  "success",
  "invalid_args",
  "rate_limited",
  "tool_not_found",
  "execution_failed",
  "capability_denied",
] as const;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths, from fine to coarse, each a whole multiple of the one before. */
const WIDTHS = [
  SECOND,
  5 * SECOND,
  15 * SECOND,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
  28 * DAY,
  364 * DAY,
];
/** Buckets kept while reading, at most. */
const MAX_BUCKETS = 4096;
/** Bars drawn, at most. */
export const MAX_BARS = 120;

/** One bar: its start (ms since the epoch), width, and counts per kind. */
export interface Bar {
  start: number;
  width: number;
  counts: number[];
}

/** Counts events per time bucket and outcome kind. */
export class Timeline {
  #level = 0;
  #buckets = new Map<number, number[]>();

  /** Counts one event at its `ts`. */
  add(event: CallEvent): void {
    const ts = event.ts;
    const ms = ts.length === 24 && ts.endsWith("Z")
      ? Date.parse(ts)
      : instant(ts)[0];
    if (!Number.isFinite(ms)) return;
    const kind = KINDS.indexOf(event.outcome.kind);
    const key = Math.floor(ms / WIDTHS[this.#level]);
    let counts = this.#buckets.get(key);
    if (counts === undefined) {
      if (
        this.#buckets.size >= MAX_BUCKETS && this.#level < WIDTHS.length - 1
      ) {
        this.#coarsen(this.#level + 1);
        return this.add(event);
      }
      counts = new Array(KINDS.length).fill(0);
      this.#buckets.set(key, counts);
    }
    counts[kind]++;
  }

  #coarsen(level: number): void {
    const ratio = WIDTHS[level] / WIDTHS[this.#level];
    const merged = new Map<number, number[]>();
    for (const [key, counts] of this.#buckets) {
      const to = Math.floor(key / ratio);
      const into = merged.get(to);
      if (into === undefined) merged.set(to, counts);
      else counts.forEach((n, i) => into[i] += n);
    }
    this.#buckets = merged;
    this.#level = level;
  }

  /**
   * The bars to draw: every bucket from the first to the last (empty ones
   * too), in the finest width that needs at most MAX_BARS of them.
   */
  bars(): Bar[] {
    if (this.#buckets.size === 0) return [];
    const keys = [...this.#buckets.keys()];
    let first = Math.min(...keys);
    let last = Math.max(...keys);
    while (
      (last - first + 1) > MAX_BARS && this.#level < WIDTHS.length - 1
    ) {
      this.#coarsen(this.#level + 1);
      const coarse = [...this.#buckets.keys()];
      first = Math.min(...coarse);
      last = Math.max(...coarse);
    }
    const width = WIDTHS[this.#level];
    const bars: Bar[] = [];
    for (let key = first; key <= last; key++) {
      bars.push({
        start: key * width,
        width,
        counts: this.#buckets.get(key) ?? new Array(KINDS.length).fill(0),
      });
    }
    return bars;
  }
}
