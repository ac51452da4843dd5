// Rotation's cost end to end: the calltrail file sink with
// `rotate: { maxBytes: 1 MiB }` against the same sink without rotation, each
// run of bench/e2e.ts in a fresh child process and its own directory
// (removed after the run), the two writers interleaved (the order swaps from
// round to round), on Node, Bun and Deno. Target: the rotating sink keeps at
// least 0.9 of the throughput without rotation (the ratio of medians, same
// run).
//
//   node bench/rotate.ts [--rounds N] [--events N]
//
// Run it alone: flock /tmp/calltrail-bench.lock node bench/rotate.ts
// Prints a table, then one JSON line with every figure.

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { E2eResult } from "./e2e.ts";
import { median } from "./_median.ts";
import { runtimes } from "./_runtimes.ts";
import { runOrThrow } from "./_child.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "11" },
    events: { type: "string", default: "200000" },
  },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const E2E = join(ROOT, "bench", "e2e.ts");
const WRITERS = ["calltrail", "calltrail-rotate"];
const RUNTIMES = runtimes(BIN);
const TARGET = 0.9;

const results: Record<string, Record<string, number[]>> = {};
const files: Record<string, number[]> = {};
const versions: Record<string, string> = {};
for (const { id: runtime, command, argv } of RUNTIMES) {
  results[runtime] = Object.fromEntries(WRITERS.map((w) => [w, []]));
  files[runtime] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = WRITERS.map((_, i) => WRITERS[(i + round) % WRITERS.length]);
    for (const writer of order) {
      const dir = mkdtempSync(join(os.tmpdir(), "calltrail-rotate-bench-"));
      try {
        const path = join(dir, "audit.jsonl");
        const line = await runOrThrow(
          command,
          [...argv(E2E), writer, path, String(EVENTS)],
          600,
          ROOT,
        );
        const result = JSON.parse(line.trim().split("\n").at(-1)!) as E2eResult;
        if (result.drops !== 0) throw new Error(`${writer} dropped events`);
        results[runtime][writer].push(result.eventsPerSecond);
        versions[runtime] = result.version;
        if (writer === "calltrail-rotate") {
          files[runtime].push(readdirSync(dir).length);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

const rows = Object.entries(results).map(([runtime, byWriter]) => {
  const plain = median(byWriter.calltrail);
  const rotating = median(byWriter["calltrail-rotate"]);
  return {
    runtime,
    version: versions[runtime],
    plain,
    rotating,
    ratio: rotating / plain,
    files: median(files[runtime]),
  };
});
console.log(
  `End to end, ${EVENTS} events, median of ${ROUNDS} rounds per writer (events/s); target: rotating (maxBytes 1 MiB) / not rotating >= ${TARGET}`,
);
console.log("runtime        not rotating     rotating  ratio  files");
for (const r of rows) {
  const verdict = `${r.ratio.toFixed(2)}${r.ratio >= TARGET ? "" : " FAIL"}`;
  console.log(
    `${`${r.runtime} ${r.version}`.padEnd(14)} ${
      String(Math.round(r.plain)).padStart(12)
    } ${String(Math.round(r.rotating)).padStart(12)}  ${verdict.padEnd(5)}  ${
      String(r.files).padStart(5)
    }`,
  );
}
console.log(
  JSON.stringify({
    events: EVENTS,
    rounds: ROUNDS,
    target: TARGET,
    rows,
    raw: results,
  }),
);
