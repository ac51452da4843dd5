// `calltrail stats` against jq over a large generated log: jq (Debian's,
// /usr/bin/jq) computes calls per outcome and per tool; `calltrail stats
// --json` computes those and everything else (percentiles, callers,
// denials, time range, bad lines). Each run is a child under
// `/usr/bin/time -v`, for its wall time and peak RSS. The counts are checked
// to agree. Targets: calltrail at least 5x as fast as jq, peak RSS < 150 MB.
//
//   node bench/stats_vs_jq.ts [--mb 500] [--rounds 3] [--jq-rounds 2]
//
// The log is generated in a temporary directory and removed at the end.
// Run it alone: flock /tmp/calltrail-bench.lock node bench/stats_vs_jq.ts
// Prints a table, then one JSON line with every figure.

import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import os from "node:os";
import process from "node:process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { serializeCallEvent } from "../mod.ts";
import { trailEvents } from "./_trail.ts";
import { median } from "./_median.ts";
import { runChild } from "./_child.ts";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "500" },
    rounds: { type: "string", default: "3" },
    "jq-rounds": { type: "string", default: "2" },
  },
});
const MB = 1024 * 1024;
const SIZE = Number(values.mb) * MB;
const ROUNDS = Number(values.rounds);
const JQ_ROUNDS = Number(values["jq-rounds"]);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const CLI = join(ROOT, "cli.ts");
const JQ_PROGRAM =
  "reduce inputs as $e ({}; .by_outcome[$e.outcome.kind] += 1 | .by_tool[$e.tool_id] += 1)";
const RUNTIMES: Record<string, string[]> = {
  node: [join(BIN, "node"), CLI],
  bun: [join(BIN, "bun"), CLI],
  deno: [join(BIN, "deno"), "run", "-A", CLI],
};
const SPEEDUP_TARGET = 5;
const RSS_TARGET_MB = 150;

/** Writes about SIZE bytes of the made-up trail; returns the event count. */
async function generate(path: string): Promise<number> {
  const out = createWriteStream(path);
  const estimate = Math.ceil(SIZE / 250) + 1; // lines are ~290 bytes
  let bytes = 0;
  let count = 0;
  let chunk = "";
  for (const event of trailEvents(estimate)) {
    const line = `${serializeCallEvent(event)}\n`;
    chunk += line;
    bytes += line.length;
    count++;
    if (chunk.length > MB) {
      if (!out.write(chunk)) {
        await new Promise((r) => out.once("drain", () => r(undefined)));
      }
      chunk = "";
    }
    if (bytes >= SIZE) break;
  }
  await new Promise<void>((resolve) => out.end(chunk, resolve));
  return count;
}

interface Timed {
  seconds: number;
  rssMb: number;
  stdout: string;
}

/**
 * Runs `command` under /usr/bin/time -v: wall time, peak RSS, output. time
 * writes its figures to a file: Bun leaves the stdio pipes it shares with
 * time non-blocking, which makes time's own writes to stderr fail.
 */
async function timed(command: string[]): Promise<Timed> {
  const figures = join(dir, "time.txt");
  const out = await runChild(
    "/usr/bin/time",
    ["-v", "-o", figures, ...command],
    3600,
    process.cwd(),
  );
  const err = out.stderr + readFileSync(figures, "utf8");
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const wall =
    /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/
      .exec(err);
  if (out.code !== 0 || rss === null || wall === null) {
    throw new Error(`${command.join(" ")}: exit ${out.code}\n${err}`);
  }
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 +
    Number(wall[3]);
  return { seconds, rssMb: Number(rss[1]) / 1024, stdout: out.stdout };
}

const dir = mkdtempSync(join(os.tmpdir(), "calltrail-stats-bench-"));
const log = join(dir, "audit.jsonl");
try {
  const started = performance.now();
  const events = await generate(log);
  const bytes = statSync(log).size;
  console.error(
    `generated ${events} events, ${(bytes / MB).toFixed(0)} MiB, in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );

  const jqRuns: Timed[] = [];
  for (let i = 0; i < JQ_ROUNDS; i++) {
    jqRuns.push(await timed(["/usr/bin/jq", "-n", "-c", JQ_PROGRAM, log]));
  }
  const jqCounts = JSON.parse(jqRuns[0].stdout);
  const jqVersion = (await timed(["/usr/bin/jq", "--version"])).stdout.trim();

  const rows: Record<string, unknown>[] = [];
  for (const [runtime, command] of Object.entries(RUNTIMES)) {
    const runs: Timed[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      runs.push(await timed([...command, "stats", "--json", log]));
    }
    const stats = JSON.parse(runs[0].stdout);
    // The same counts as jq's.
    const byTool = Object.fromEntries(
      Object.entries(stats.by_tool as Record<string, { calls: number }>)
        .map(([tool, t]) => [tool, t.calls]),
    );
    const agree = JSON.stringify(sortKeys(stats.by_outcome)) ===
        JSON.stringify(sortKeys(jqCounts.by_outcome)) &&
      JSON.stringify(sortKeys(byTool)) ===
        JSON.stringify(sortKeys(jqCounts.by_tool)) &&
      stats.calls === events;
    const version =
      (await timed([...command.slice(0, -1), "--version"]).catch(() => ({
        stdout: "?",
      }))).stdout.match(/\d+\.\d+\.\d+/)?.[0] ?? "?";
    rows.push({
      runtime,
      version,
      seconds: median(runs.map((r) => r.seconds)),
      rssMb: Math.max(...runs.map((r) => r.rssMb)),
      agree,
      runs: runs.map((r) => ({ seconds: r.seconds, rssMb: r.rssMb })),
    });
  }
  const jqSeconds = median(jqRuns.map((r) => r.seconds));
  console.log(
    `calltrail stats --json vs ${jqVersion} over ${
      (bytes / MB).toFixed(0)
    } MiB (${events} events); medians of ${ROUNDS} runs (jq: ${JQ_ROUNDS})`,
  );
  console.log(
    `jq: ${jqSeconds.toFixed(2)} s, peak RSS ${
      Math.max(...jqRuns.map((r) => r.rssMb)).toFixed(0)
    } MB`,
  );
  console.log(
    "runtime            seconds  speedup vs jq  peak RSS MB  counts agree",
  );
  for (const row of rows) {
    const seconds = row.seconds as number;
    const speedup = jqSeconds / seconds;
    const rss = row.rssMb as number;
    row.speedup = speedup;
    console.log(
      `${`${row.runtime} ${row.version}`.padEnd(18)} ${
        seconds.toFixed(2).padStart(7)
      }  ${
        `${speedup.toFixed(1)}x${speedup >= SPEEDUP_TARGET ? "" : " FAIL"}`
          .padStart(13)
      }  ${
        `${rss.toFixed(0)}${rss < RSS_TARGET_MB ? "" : " FAIL"}`.padStart(11)
      }  ${row.agree}`,
    );
  }
  console.log(JSON.stringify({
    bytes,
    events,
    jq: {
      version: jqVersion,
      program: JQ_PROGRAM,
      seconds: jqSeconds,
      runs: jqRuns.map((r) => ({ seconds: r.seconds, rssMb: r.rssMb })),
    },
    rows,
    targets: { speedup: SPEEDUP_TARGET, rssMb: RSS_TARGET_MB },
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).sort(([a], [b]) => a < b ? -1 : 1),
  );
}
