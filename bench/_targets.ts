// The speed targets, judged from one runtime's results: end to end against
// pino, LogTape and the floor (1a-1c), the hot path against pino (2), the
// dispatch path with a slow destination (3), and bounded memory (4).

import { type Failure, isFailure } from "./_child.ts";
import type { E2eSummary } from "./_e2e_rounds.ts";

/** What bench/hot_path_bench.ts prints. */
export interface HotPath {
  version: string;
  calltrailDrops: number;
  compare: { calltrail: number; pino: number; logtape: number };
  benchmarks: { name: string; avgNs: number }[];
}

/** What bench/dispatch_stall.ts prints. */
export interface DispatchStall {
  p99Ratio: number;
  aaP99Ratio: number;
  bare: { p99Ms: number; calls: number; callsPerSecond: number };
  audited: {
    p99Ms: number;
    calls: number;
    accepted: number;
    dropped: number;
  };
}

/** What bench/memory.ts prints. */
export interface Memory {
  growth: number;
  limit: number;
  growthOverNoSink: number;
  heapGrowth: number;
  heapGrowthOverNoSink: number;
  peakGrowth: number;
  baselineSpread: number;
  drift: number;
  producedPerSecond: number;
  writtenPerSecond: number;
}

/** The benches that measure one version of the library. */
export interface LibraryResults {
  hotPath: HotPath | Failure;
  dispatchStall: DispatchStall | Failure;
  memory: Memory | Failure;
  /** The same run with normal load in place of the overload. */
  memoryControl: Memory | Failure;
}

/** Everything measured on one runtime. */
export interface RuntimeResults extends LibraryResults {
  label: string;
  version: string;
  e2e: E2eSummary;
  /** The baseline version of the library, when the run compares one. */
  before?: LibraryResults;
}

/** One target on one runtime, for one version of the library. */
export interface Target {
  id: string;
  name: string;
  runtime: string;
  /** `""` for the library under test, `"before"` for the baseline. */
  version: "" | "before";
  /** The measured figure the target bounds (a ratio, or bytes). */
  value: number | null;
  /** `>=` value must be at least `limit`; `<=`/`<` at most / below. */
  op: ">=" | "<=" | "<";
  limit: number;
  verdict: "PASS" | "FAIL" | "ERROR";
  figures: string;
}

const MB = 1024 * 1024;

export function fmtInt(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

export function fmtNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

export function fmtMiB(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MiB`;
}

function signedMiB(bytes: number): string {
  return `${bytes < 0 ? "-" : "+"}${fmtMiB(Math.abs(bytes))}`;
}

/**
 * The targets of `version` of the library on runtime `runtime`: its e2e
 * writer is `calltrail` (or `calltrail@before`), its other benches `lib`.
 */
export function targetsOf(
  runtime: string,
  e2e: E2eSummary,
  lib: LibraryResults,
  version: Target["version"],
): Target[] {
  const target = (
    id: string,
    name: string,
    value: number | undefined,
    op: Target["op"],
    limit: number,
    figures: string,
  ): Target => {
    const ok = value === undefined || !Number.isFinite(value)
      ? undefined
      : op === ">="
      ? value >= limit
      : op === "<="
      ? value <= limit
      : value < limit;
    return {
      id,
      name,
      runtime,
      version,
      value: value === undefined || !Number.isFinite(value) ? null : value,
      op,
      limit,
      verdict: ok === undefined ? "ERROR" : ok ? "PASS" : "FAIL",
      figures,
    };
  };
  const m = e2e.median;
  const calltrail = version === "" ? "calltrail" : "calltrail@before";
  const eps = (w: string) => m[w] === undefined ? "?" : fmtInt(m[w]!);
  /** Target 1a, 1b or 1c: calltrail's events per second over `other`'s. */
  const e2eTarget = (id: string, other: string, name: string, limit: number) =>
    target(
      id,
      `e2e: calltrail / ${name}`,
      m[calltrail] === undefined || m[other] === undefined
        ? undefined
        : m[calltrail]! / m[other]!,
      ">=",
      limit,
      `calltrail ${eps(calltrail)} vs ${name} ${eps(other)} events/s`,
    );
  const out: Target[] = [
    e2eTarget("1a", "pino", "pino", 3),
    e2eTarget("1b", "logtape", "LogTape", 3),
    e2eTarget("1c", "floor", "floor", 0.9),
  ];
  /** A target one bench measures: ERROR when the bench failed. */
  const measured = <T>(
    id: string,
    name: string,
    op: Target["op"],
    limit: number,
    result: T | Failure,
    read: (r: T) => [value: number, figures: string, limit?: number],
  ): Target => {
    if (isFailure(result)) {
      return target(id, name, undefined, op, limit, result.error);
    }
    const [value, figures, own] = read(result);
    return target(id, name, value, op, own ?? limit, figures);
  };
  out.push(
    measured(
      "2",
      "hot path: onCall / pino info",
      "<=",
      0.33,
      lib.hotPath,
      (h) => [
        h.calltrailDrops === 0 ? h.compare.calltrail / h.compare.pino : NaN,
        `onCall ${fmtNs(h.compare.calltrail)} vs pino ${
          fmtNs(h.compare.pino)
        } (LogTape ${fmtNs(h.compare.logtape)})${
          h.calltrailDrops === 0 ? "" : `; ${h.calltrailDrops} drops: invalid`
        }`,
      ],
    ),
    measured(
      "3",
      "dispatch: p99 audited / bare",
      "<=",
      1.1,
      lib.dispatchStall,
      (d) => [
        d.p99Ratio,
        `p99 ${d.audited.p99Ms.toFixed(2)} vs ${
          d.bare.p99Ms.toFixed(2)
        } ms; A/A ${d.aaP99Ratio.toFixed(3)}; ${fmtInt(d.audited.dropped)} of ${
          fmtInt(d.audited.accepted + d.audited.dropped)
        } dropped`,
      ],
    ),
    measured(
      "4",
      "memory: RSS growth (MiB)",
      "<",
      2162688,
      isFailure(lib.memoryControl) ? lib.memoryControl : lib.memory,
      (mem) => {
        const ctl = lib.memoryControl as Memory;
        return [
          mem.growth - ctl.growth,
          `overload ${signedMiB(mem.growth)} minus control ${
            signedMiB(ctl.growth)
          } (the same run without the overload); heap ${
            signedMiB(mem.heapGrowth)
          } (control ${signedMiB(ctl.heapGrowth)}); noise: baseline spread ${
            fmtMiB(mem.baselineSpread)
          }, drift ${signedMiB(mem.drift)}`,
          mem.limit,
        ];
      },
    ),
  );
  return out;
}
