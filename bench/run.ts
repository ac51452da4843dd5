// The benchmark suite: `npm run bench` (= node bench/run.ts [--quick]
// [--baseline <git ref>]).
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
// 5. then the issues' own suites (bench/_suites.ts): the HTTP sinks against
//    OpenTelemetry JS and over a slow link (bench/http_sinks.ts), the MCP
//    adapter's cost (bench/mcp_bench.ts), the chain's cost (bench/chain.ts),
//    rotation's cost (bench/rotate.ts), `calltrail stats` against jq
//    (bench/stats_vs_jq.ts).
// It writes every raw figure to bench/results/latest.json, prints a table of
// the targets with PASS or FAIL, then each suite's, and draws
// bench/results/chart.svg
// (bench/chart.ts). A measurement, not a test: it always exits 0; a child
// that fails is reported as ERROR with its output.
//
// --baseline <git ref>: also measures the library at that commit (checked
// out in a temporary git worktree that shares this node_modules), in the
// same run: its calltrail writer joins every end-to-end round (as
// calltrail@before), and its hot-path, dispatch and memory benches run right
// after this tree's. The table shows its figure beside each target's.
//
// --suites core,http,mcp,chain,rotate,stats: which parts run (default: all; core is
// 1 to 4).
//
// --quick: a smoke run of the same pipeline (20,000 events, 1 round, short
// phases), in well under a minute. Its figures are not measurements.

import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type Failure, isFailure, jsonBench, log, runChild } from "./_child.ts";
import { type E2eConfig, e2eRounds, type E2eWriter } from "./_e2e_rounds.ts";
import { type Runtime, runtimes } from "./_runtimes.ts";
import { table } from "./_table.ts";
import { runSuite, type SuiteResult, SUITES } from "./_suites.ts";
import {
  type DispatchStall,
  type HotPath,
  type LibraryResults,
  type Memory,
  type RuntimeResults,
  type Target,
  targetsOf,
} from "./_targets.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    baseline: { type: "string" },
    suites: { type: "string", default: "core,http,mcp,chain,rotate,stats" },
  },
});
const SELECTED = new Set(flags.suites!.split(",").map((s) => s.trim()));
for (const id of SELECTED) {
  if (id !== "core" && !SUITES.some((s) => s.id === id)) {
    throw new Error(
      `bench/run.ts: unknown suite ${
        JSON.stringify(id)
      } in --suites; choose among core, ${SUITES.map((s) => s.id).join(", ")}.`,
    );
  }
}
const quick = flags.quick!;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const RESULTS = join(ROOT, "bench", "results");
const RUNTIMES = runtimes(BIN);

/** A checkout of `ref` in a temporary worktree, sharing node_modules. */
function checkout(
  ref: string,
): { root: string; commit: string; remove(): void } {
  const parent = mkdtempSync(join(os.tmpdir(), "calltrail-baseline-"));
  const root = join(parent, "tree");
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--short", ref);
  git("worktree", "add", "--detach", root, commit);
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  return {
    root,
    commit,
    remove() {
      git("worktree", "remove", "--force", root);
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** The hot path, dispatch and memory benches of the tree at `root`. */
async function libraryBenches(
  rt: Runtime,
  root: string,
  which: string,
): Promise<LibraryResults> {
  const quickArgs = (args: string[]) => quick ? ["--quick", ...args] : args;
  log(`  hot path (mitata)${which}...`);
  const hotPath = await jsonBench<HotPath>(
    rt,
    root,
    "hot_path_bench.ts",
    "gc",
    quick ? ["--quick"] : ["--json"],
    600,
  );
  log(`  dispatch stall${which}...`);
  const dispatchStall = await jsonBench<DispatchStall>(
    rt,
    root,
    "dispatch_stall.ts",
    "gc",
    quickArgs([]),
    300,
  );
  log(`  memory${which}...`);
  const memory = await jsonBench<Memory>(
    rt,
    root,
    "memory.ts",
    "memory",
    quickArgs([]),
    300,
  );
  log(`  memory, control${which}...`);
  const memoryControl = await jsonBench<Memory>(
    rt,
    root,
    "memory.ts",
    "memory",
    quickArgs(["--control"]),
    300,
  );
  return { hotPath, dispatchStall, memory, memoryControl };
}

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
  const baseline = flags.baseline === undefined
    ? undefined
    : checkout(flags.baseline);
  const here = (writer: string): E2eWriter => ({
    key: writer,
    writer,
    root: ROOT,
  });
  const before: E2eWriter[] = baseline === undefined
    ? []
    : [{ key: "calltrail@before", writer: "calltrail", root: baseline.root }];
  const config: E2eConfig = {
    events: quick ? 20_000 : 200_000,
    rounds: quick ? 1 : 5,
    ladderRounds: quick ? 1 : 20,
    writers: [
      ...["floor", "calltrail", "pino", "logtape"].map(here),
      ...before,
    ],
    ladder: [
      ...["floor", "floor-await", "floor-serialize", "calltrail"].map(here),
      ...before,
    ],
  };
  const results: Partial<Record<Runtime["id"], RuntimeResults>> = {};
  const targets: Target[] = [];
  log(
    `calltrail benchmarks${quick ? " (--quick: a smoke run)" : ""}${
      baseline === undefined ? "" : `, against ${baseline.commit}`
    }`,
  );
  try {
    for (const rt of SELECTED.has("core") ? RUNTIMES : []) {
      const v = await runChild(rt.command, ["--version"], 30, ROOT);
      const version = v.code === 0
        ? (v.stdout.match(/\d+\.\d+\.\d+/)?.[0] ?? v.stdout.trim())
        : "unavailable";
      log(`${rt.label} ${version}`);
      if (v.code !== 0) {
        log(`  ${rt.command} --version failed; skipped`);
        continue;
      }
      log(
        `  end to end: ${config.rounds} round(s) of ${
          config.events.toLocaleString("en-US")
        } events, then ${config.ladderRounds} of ${
          config.ladder.map((w) => w.key).join(", ")
        }`,
      );
      const e2e = await e2eRounds(rt, config);
      const lib = await libraryBenches(rt, ROOT, "");
      const r: RuntimeResults = { label: rt.label, version, e2e, ...lib };
      targets.push(...targetsOf(rt.id, e2e, lib, ""));
      if (baseline !== undefined) {
        r.before = await libraryBenches(rt, baseline.root, ", before");
        targets.push(...targetsOf(rt.id, e2e, r.before, "before"));
      }
      results[rt.id] = r;
    }
  } finally {
    baseline?.remove();
  }
  const suites: (SuiteResult | Failure)[] = [];
  for (const suite of SUITES.filter((s) => SELECTED.has(s.id))) {
    log(`${suite.title} (bench/${suite.script})`);
    suites.push(await runSuite(suite, ROOT, RUNTIMES, quick));
  }
  const seconds = (performance.now() - began) / 1000;
  const head = await runChild(
    "git",
    ["rev-parse", "--short", "HEAD"],
    10,
    ROOT,
  );
  const dirty = await runChild(
    "git",
    ["status", "--porcelain", "--", "*.ts", "sinks"],
    10,
    ROOT,
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
    baseline: baseline?.commit ?? null,
    command: `node bench/run.ts${quick ? " --quick" : ""}${
      baseline === undefined ? "" : ` --baseline ${flags.baseline}`
    }`,
    machine: { ...machineBefore, loadAverageAfter: os.loadavg() },
    config: {
      e2eEvents: config.events,
      rounds: config.rounds,
      ladderRounds: config.ladderRounds,
      writers: config.writers.map((w) => w.key),
      ladder: config.ladder.map((w) => w.key),
    },
    targets,
    runtimes: results,
    suites,
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
    }${baseline === undefined ? "" : `, against ${baseline.commit}`}`,
  );
  console.log(
    `${mc.cpuCount} x ${mc.cpuModel}, ${
      (mc.totalMemory / 1024 ** 3).toFixed(0)
    } GiB, ${mc.platform} ${mc.release} ${mc.arch}; load ${
      mc.loadAverage.map((x) => x.toFixed(2)).join(" ")
    }; ${seconds.toFixed(0)} s\n`,
  );
  if (SELECTED.has("core")) {
    console.log(table(RUNTIMES, results, targets, config));
  }
  for (const suite of suites) {
    if (isFailure(suite)) {
      console.log(`\nERROR ${suite.error}\n${suite.stderr}`);
    } else console.log(`\n${suite.title}:\n${suite.table}`);
  }
  console.log(`\nraw figures: ${jsonPath}`);

  // The chart draws the core benches: left as it is when they did not run.
  if (!SELECTED.has("core")) return;
  const chart = await runChild(
    join(BIN, "node"),
    [join(ROOT, "bench", "chart.ts")],
    60,
    ROOT,
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
