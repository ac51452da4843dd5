// The benchmark suite: `npm run bench` (= node bench/run.ts [--quick]).
//
// For each runtime (Node = node_modules/.bin/node, Bun = node_modules/.bin/bun,
// Deno = node_modules/.bin/deno run -A), in one run:
// 1. end to end (bench/e2e.ts): the writers floor, calltrail, pino and
//    logtape, each in a fresh child process, interleaved (the order rotates
//    from round to round), 5 rounds of 200,000 events, then 20 more rounds of
//    the ladder from the floor to calltrail alone (floor, floor-await,
//    floor-serialize, calltrail: each run takes a fraction of a second, and
//    target 1c is the ratio the machine's noise moves most; the rungs between
//    split its gap into causes); the median of each;
// 2. the hot path (bench/hot_path_bench.ts --json, mitata);
// 3. dispatch stall (bench/dispatch_stall.ts);
// 4. bounded memory (bench/memory.ts), and its control (--control: the same
//    run without the overload); the verdict is the growth the overload adds.
// It writes every raw figure to bench/results/latest.json, prints a table of
// the targets with PASS or FAIL, and draws bench/results/chart.svg
// (bench/chart.ts). A measurement, not a test: it always exits 0; a child
// that fails is reported as ERROR with its output.
//
// --quick: a smoke run of the same pipeline (20,000 events, 1 round, short
// phases), in well under a minute. Its figures are not measurements.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { E2eResult } from "./e2e.ts";

const quick = process.argv.includes("--quick");
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const RESULTS = join(ROOT, "bench", "results");
const E2E_EVENTS = quick ? 20_000 : 200_000;
const ROUNDS = quick ? 1 : 5;
/** Further rounds of the ladder only, for target 1c. */
const LADDER_ROUNDS = quick ? 1 : 20;
const WRITERS = ["floor", "calltrail", "pino", "logtape"] as const;
/** From the floor to calltrail, one cause at a time (bench/e2e.ts). */
const LADDER = [
  "floor",
  "floor-await",
  "floor-serialize",
  "calltrail",
] as const;
type Writer = typeof WRITERS[number] | typeof LADDER[number];
const ALL_WRITERS: readonly Writer[] = [...new Set([...WRITERS, ...LADDER])];
const MB = 1024 * 1024;

// ------------------------------------------------------------- runtimes

/** V8 flags for the memory bench: see bench/memory.ts. */
const V8_MEMORY_FLAGS = [
  "--expose-gc",
  "--min-semi-space-size=16",
  "--max-semi-space-size=16",
  "--no-flush-bytecode",
];

interface Runtime {
  id: "node" | "bun" | "deno";
  label: string;
  command: string;
  /** The argv to run `script`, with `gc` (expose gc) or `memory` flags. */
  argv(script: string, flags?: "gc" | "memory"): string[];
}

const RUNTIMES: Runtime[] = [
  {
    id: "node",
    label: "Node",
    command: join(BIN, "node"),
    argv: (script, flags) => [
      ...(flags === "memory"
        ? V8_MEMORY_FLAGS
        : flags === "gc"
        ? ["--expose-gc"]
        : []),
      script,
    ],
  },
  {
    id: "bun",
    label: "Bun",
    command: join(BIN, "bun"),
    argv: (script) => [script],
  },
  {
    id: "deno",
    label: "Deno",
    command: join(BIN, "deno"),
    argv: (script, flags) => [
      "run",
      "-A",
      ...(flags === "memory"
        ? [`--v8-flags=${V8_MEMORY_FLAGS.join(",")}`]
        : flags === "gc"
        ? ["--v8-flags=--expose-gc"]
        : []),
      script,
    ],
  },
];

// --------------------------------------------------------------- children

interface ChildOutput {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function runChild(
  command: string,
  argv: string[],
  timeoutS: number,
): Promise<ChildOutput> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, argv, {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: String(error),
        seconds: 0,
      });
      return;
    }
    const timer = setTimeout(() => {
      stderr += `\n(bench/run.ts: killed after ${timeoutS} s)`;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.stdout!.setEncoding("utf8").on("data", (c: string) => stdout += c);
    child.stderr!.setEncoding("utf8").on("data", (c: string) => stderr += c);
    let done = false;
    const finish = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        seconds: (performance.now() - started) / 1000,
      });
    };
    // A command that cannot start emits "error", and maybe no "close".
    child.on("error", (error) => {
      stderr += `\n${error}`;
      if (child.pid === undefined) finish(null, null);
    });
    child.on("close", finish);
  });
}

/** The last line of stdout that parses as a JSON object. */
function lastJson(out: ChildOutput): Record<string, unknown> | undefined {
  const lines = out.stdout.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not this one
    }
  }
  return undefined;
}

interface Failure {
  error: string;
  code: number | null;
  signal: string | null;
  stderr: string;
  stdout: string;
}

function failure(out: ChildOutput, what: string): Failure {
  return {
    error: `${what} failed (exit ${out.code ?? out.signal})`,
    code: out.code,
    signal: out.signal,
    stderr: out.stderr.slice(-4000),
    stdout: out.stdout.slice(-2000),
  };
}

/** Runs one bench script; its JSON line, or what went wrong. */
async function jsonBench<T>(
  rt: Runtime,
  script: string,
  flags: "gc" | "memory" | undefined,
  args: string[],
  timeoutS: number,
): Promise<T | Failure> {
  const out = await runChild(
    rt.command,
    [...rt.argv(join("bench", script), flags), ...args],
    timeoutS,
  );
  const parsed = lastJson(out);
  if (out.code !== 0 || parsed === undefined) {
    return failure(out, `${rt.id} ${script}`);
  }
  return parsed as T;
}

function isFailure(x: unknown): x is Failure {
  return typeof x === "object" && x !== null && "error" in x;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ------------------------------------------------------------ the benches

/** One round of one writer: what bench/e2e.ts printed, and the round. */
type E2eRun = Omit<E2eResult, "runtime" | "version"> & { round: number };

interface E2eSummary {
  events: number;
  rounds: number;
  runs: (E2eRun | (Failure & { writer: string; round: number }))[];
  /** Median events per second of each writer. */
  median: Partial<Record<Writer, number>>;
  /** (max - min) / median of each writer's rounds: the noise. */
  spread: Partial<Record<Writer, number>>;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function e2e(rt: Runtime): Promise<E2eSummary> {
  const dir = mkdtempSync(join(os.tmpdir(), "calltrail-bench-"));
  const runs: E2eSummary["runs"] = [];
  try {
    for (let round = 0; round < ROUNDS + LADDER_ROUNDS; round++) {
      // Rotate the order each round, so no writer always runs first or
      // right after the slowest one.
      const writers = round < ROUNDS ? WRITERS : LADDER;
      const order = writers.map((_, i) =>
        writers[(i + round) % writers.length]
      );
      for (const writer of order) {
        const file = join(dir, `${writer}.jsonl`);
        const out = await runChild(
          rt.command,
          [
            ...rt.argv(join("bench", "e2e.ts")),
            writer,
            file,
            String(E2E_EVENTS),
          ],
          300,
        );
        const parsed = lastJson(out) as E2eRun | undefined;
        if (out.code !== 0 || parsed === undefined) {
          runs.push({
            ...failure(out, `${rt.id} e2e ${writer}`),
            writer,
            round,
          });
          log(`  ${rt.id} e2e ${writer} round ${round + 1}: ERROR`);
        } else {
          runs.push({ ...parsed, round });
          log(
            `  ${rt.id} e2e ${writer} round ${round + 1}: ${
              fmtInt(parsed.eventsPerSecond)
            } events/s`,
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary: E2eSummary = {
    events: E2E_EVENTS,
    rounds: ROUNDS,
    runs,
    median: {},
    spread: {},
  };
  for (const writer of ALL_WRITERS) {
    const eps = runs.flatMap((r) =>
      r.writer === writer && !isFailure(r) ? [r.eventsPerSecond] : []
    );
    if (eps.length === 0) continue;
    const m = median(eps);
    summary.median[writer] = m;
    summary.spread[writer] = (Math.max(...eps) - Math.min(...eps)) / m;
  }
  return summary;
}

interface HotPath {
  version: string;
  calltrailDrops: number;
  compare: { calltrail: number; pino: number; logtape: number };
  benchmarks: { name: string; avgNs: number }[];
}

interface DispatchStall {
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

interface Memory {
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

interface RuntimeResults {
  label: string;
  version: string;
  e2e: E2eSummary;
  hotPath: HotPath | Failure;
  dispatchStall: DispatchStall | Failure;
  memory: Memory | Failure;
  /** The same run with normal load in place of the overload. */
  memoryControl: Memory | Failure;
}

// -------------------------------------------------------------- targets

interface Target {
  id: string;
  name: string;
  runtime: string;
  /** The measured figure the target bounds (a ratio, or bytes). */
  value: number | null;
  /** `>=` value must be at least `limit`; `<=`/`<` at most / below. */
  op: ">=" | "<=" | "<";
  limit: number;
  verdict: "PASS" | "FAIL" | "ERROR";
  figures: string;
}

function target(
  id: string,
  name: string,
  runtime: string,
  value: number | undefined,
  op: Target["op"],
  limit: number,
  figures: string,
): Target {
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
    value: value === undefined || !Number.isFinite(value) ? null : value,
    op,
    limit,
    verdict: ok === undefined ? "ERROR" : ok ? "PASS" : "FAIL",
    figures,
  };
}

function targetsOf(rt: Runtime, r: RuntimeResults): Target[] {
  const m = r.e2e.median;
  const eps = (w: Writer) => m[w] === undefined ? "?" : fmtInt(m[w]!);
  const ratio = (a?: number, b?: number) =>
    a === undefined || b === undefined ? undefined : a / b;
  /** Target 1a, 1b or 1c: calltrail's events per second over `other`'s. */
  const e2eTarget = (id: string, other: Writer, name: string, limit: number) =>
    target(
      id,
      `e2e: calltrail / ${name}`,
      rt.id,
      ratio(m.calltrail, m[other]),
      ">=",
      limit,
      `calltrail ${eps("calltrail")} vs ${name} ${eps(other)} events/s`,
    );
  const out: Target[] = [
    e2eTarget("1a", "pino", "pino", 3),
    e2eTarget("1b", "logtape", "LogTape", 3),
    e2eTarget("1c", "floor", "floor", 0.9),
  ];
  const h = r.hotPath;
  out.push(
    isFailure(h)
      ? target(
        "2",
        "hot path: onCall / pino info",
        rt.id,
        undefined,
        "<=",
        0.33,
        h.error,
      )
      : target(
        "2",
        "hot path: onCall / pino info",
        rt.id,
        h.calltrailDrops === 0 ? h.compare.calltrail / h.compare.pino : NaN,
        "<=",
        0.33,
        `onCall ${fmtNs(h.compare.calltrail)} vs pino ${
          fmtNs(h.compare.pino)
        } (LogTape ${fmtNs(h.compare.logtape)})${
          h.calltrailDrops === 0 ? "" : `; ${h.calltrailDrops} drops: invalid`
        }`,
      ),
  );
  const d = r.dispatchStall;
  out.push(
    isFailure(d)
      ? target(
        "3",
        "dispatch: p99 audited / bare",
        rt.id,
        undefined,
        "<=",
        1.1,
        d.error,
      )
      : target(
        "3",
        "dispatch: p99 audited / bare",
        rt.id,
        d.p99Ratio,
        "<=",
        1.1,
        `p99 ${d.audited.p99Ms.toFixed(2)} vs ${
          d.bare.p99Ms.toFixed(2)
        } ms; A/A ${d.aaP99Ratio.toFixed(3)}; ${fmtInt(d.audited.dropped)} of ${
          fmtInt(d.audited.accepted + d.audited.dropped)
        } dropped`,
      ),
  );
  const mem = r.memory;
  const ctl = r.memoryControl;
  out.push(
    isFailure(mem) || isFailure(ctl)
      ? target(
        "4",
        "memory: RSS growth (MiB)",
        rt.id,
        undefined,
        "<",
        2162688,
        (isFailure(mem) ? mem : ctl as Failure).error,
      )
      : target(
        "4",
        "memory: RSS growth (MiB)",
        rt.id,
        mem.growth - ctl.growth,
        "<",
        mem.limit,
        `overload ${signedMiB(mem.growth)} minus control ${
          signedMiB(ctl.growth)
        } (the same run without the overload); heap ${
          signedMiB(mem.heapGrowth)
        } (control ${signedMiB(ctl.heapGrowth)}); noise: baseline spread ${
          fmtMiB(mem.baselineSpread)
        }, drift ${signedMiB(mem.drift)}`,
      ),
  );
  return out;
}

// ------------------------------------------------------------ formatting

function fmtInt(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

function fmtNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

function fmtMiB(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MiB`;
}

function signedMiB(bytes: number): string {
  return `${bytes < 0 ? "-" : "+"}${fmtMiB(Math.abs(bytes))}`;
}

function fmtValue(t: Target): string {
  if (t.value === null) return "-";
  if (t.id === "4") return (t.value / MB).toFixed(2);
  return t.value >= 10 ? t.value.toFixed(1) : t.value.toFixed(2);
}

function fmtLimit(t: Target): string {
  const limit = t.id === "4" ? (t.limit / MB).toFixed(2) : String(t.limit);
  return `${t.op} ${limit}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function table(
  results: Partial<Record<Runtime["id"], RuntimeResults>>,
  targets: Target[],
): string {
  const ids = RUNTIMES.filter((rt) => results[rt.id] !== undefined);
  const names = [...new Set(targets.map((t) => `${t.id}|${t.name}`))];
  const head = [
    pad("target", 36),
    pad("need", 8),
    ...ids.map((rt) => pad(`${rt.label} ${results[rt.id]!.version}`, 18)),
  ].join(" ");
  const lines = [head, "-".repeat(head.length)];
  for (const key of names) {
    const [id, name] = key.split("|");
    const row = targets.filter((t) => t.id === id);
    lines.push([
      pad(`${id}. ${name}`, 36),
      pad(fmtLimit(row[0]), 8),
      ...ids.map((rt) => {
        const t = row.find((x) => x.runtime === rt.id);
        return pad(t === undefined ? "-" : `${fmtValue(t)} ${t.verdict}`, 18);
      }),
    ].join(" "));
  }
  lines.push("");
  for (const rt of ids) {
    const r = results[rt.id]!;
    lines.push(`${rt.label} ${r.version}`);
    const m = r.e2e.median;
    const spread = r.e2e.spread;
    lines.push(
      `  e2e events/s (median of ${r.e2e.rounds} rounds; floor and calltrail ${
        r.e2e.rounds + LADDER_ROUNDS
      }, floor-await and floor-serialize ${LADDER_ROUNDS}; ${
        fmtInt(r.e2e.events)
      } events; spread max-min): ${
        ALL_WRITERS.map((w) =>
          `${w} ${m[w] === undefined ? "ERROR" : fmtInt(m[w]!)} (${
            spread[w] === undefined ? "-" : `${(spread[w]! * 100).toFixed(0)}%`
          })`
        ).join(", ")
      }`,
    );
    const floor = m.floor;
    if (floor !== undefined) {
      lines.push(
        `  1c, from the floor to calltrail (ratio to the floor): ${
          LADDER.slice(1).map((w) =>
            `${w} ${m[w] === undefined ? "ERROR" : (m[w]! / floor).toFixed(2)}`
          ).join(", ")
        }`,
      );
    }
    for (const t of targets.filter((x) => x.runtime === rt.id)) {
      if (t.id.startsWith("1")) continue;
      lines.push(`  ${t.name}: ${t.figures}`);
    }
  }
  return lines.join("\n");
}

// ------------------------------------------------------------------ main

function machine() {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    cpuMHz: cpus[0]?.speed ?? null,
    totalMemory: os.totalmem(),
    freeMemory: os.freemem(),
    loadAverage: os.loadavg(),
  };
}

async function main(): Promise<void> {
  const began = performance.now();
  const date = new Date().toISOString();
  const machineBefore = machine();
  const results: Partial<Record<Runtime["id"], RuntimeResults>> = {};
  const targets: Target[] = [];
  log(`calltrail benchmarks${quick ? " (--quick: a smoke run)" : ""}`);
  for (const rt of RUNTIMES) {
    const v = await runChild(rt.command, ["--version"], 30);
    const version = v.code === 0
      ? (v.stdout.match(/\d+\.\d+\.\d+/)?.[0] ?? v.stdout.trim())
      : "unavailable";
    log(`${rt.label} ${version}`);
    if (v.code !== 0) {
      log(`  ${rt.command} --version failed; skipped`);
      continue;
    }
    log(
      `  end to end: ${ROUNDS} round(s) of ${
        fmtInt(E2E_EVENTS)
      } events, then ${LADDER_ROUNDS} of ${LADDER.join(", ")}`,
    );
    const e2eSummary = await e2e(rt);
    log("  hot path (mitata)...");
    const hotPath = await jsonBench<HotPath>(
      rt,
      "hot_path_bench.ts",
      "gc",
      quick ? ["--quick"] : ["--json"],
      600,
    );
    log("  dispatch stall...");
    const dispatchStall = await jsonBench<DispatchStall>(
      rt,
      "dispatch_stall.ts",
      "gc",
      quick ? ["--quick"] : [],
      300,
    );
    log("  memory...");
    const memory = await jsonBench<Memory>(
      rt,
      "memory.ts",
      "memory",
      quick ? ["--quick"] : [],
      300,
    );
    log("  memory, control...");
    const memoryControl = await jsonBench<Memory>(
      rt,
      "memory.ts",
      "memory",
      quick ? ["--quick", "--control"] : ["--control"],
      300,
    );
    const r: RuntimeResults = {
      label: rt.label,
      version,
      e2e: e2eSummary,
      hotPath,
      dispatchStall,
      memory,
      memoryControl,
    };
    results[rt.id] = r;
    targets.push(...targetsOf(rt, r));
  }
  const seconds = (performance.now() - began) / 1000;
  const head = await runChild("git", ["rev-parse", "--short", "HEAD"], 10);
  const dirty = await runChild(
    "git",
    ["status", "--porcelain", "--", "*.ts", "sinks"],
    10,
  );
  const report = {
    date,
    quick,
    seconds,
    /** The library's commit, and whether its sources had local changes. */
    commit: head.code === 0 ? head.stdout.trim() : "unknown",
    libraryChanged: dirty.code === 0
      ? dirty.stdout.split("\n").some((l) =>
        /^.. [^/]+\.ts$|^.. sinks\//.test(l)
      )
      : null,
    command: `node bench/run.ts${quick ? " --quick" : ""}`,
    machine: { ...machineBefore, loadAverageAfter: os.loadavg() },
    config: {
      e2eEvents: E2E_EVENTS,
      rounds: ROUNDS,
      ladderRounds: LADDER_ROUNDS,
      writers: WRITERS,
      ladder: LADDER,
    },
    targets,
    runtimes: results,
  };
  mkdirSync(RESULTS, { recursive: true });
  const jsonPath = join(RESULTS, "latest.json");
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");

  const mc = report.machine;
  console.log(
    `\ncalltrail benchmarks, ${date}${
      quick ? " (--quick: a smoke run, not a measurement)" : ""
    }`,
  );
  console.log(
    `commit ${report.commit}${
      report.libraryChanged ? " with local changes to the library" : ""
    }`,
  );
  console.log(
    `${mc.cpuCount} x ${mc.cpuModel}, ${
      (mc.totalMemory / 1024 ** 3).toFixed(0)
    } GiB, ${mc.platform} ${mc.release} ${mc.arch}; load ${
      mc.loadAverage.map((x) => x.toFixed(2)).join(" ")
    }; ${seconds.toFixed(0)} s\n`,
  );
  console.log(table(results, targets));
  console.log(`\nraw figures: ${jsonPath}`);

  const chart = await runChild(
    join(BIN, "node"),
    [join(ROOT, "bench", "chart.ts")],
    60,
  );
  if (chart.code === 0) console.log(chart.stdout.trim());
  else log(`chart.ts failed:\n${chart.stderr}`);
}

try {
  await main();
} catch (error) {
  // A measurement never fails the build: report and exit 0.
  log(`bench/run.ts: ${error instanceof Error ? error.stack : error}`);
}
process.exitCode = 0;
