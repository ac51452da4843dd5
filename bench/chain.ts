// The chain's cost end to end: the calltrail file sink with and without
// `chain` (unkeyed, and with a 32-byte key), each run of bench/e2e.ts in a
// fresh child process, the writers interleaved (the order rotates from round
// to round), on Node, Bun and Deno. Target: the chained sink keeps at least
// 0.7 of the unchained throughput (the ratio of medians, same run).
//
//   node bench/chain.ts [--rounds N] [--events N]
//
// Run it alone: flock /tmp/calltrail-bench.lock node bench/chain.ts
// Prints a table, then one JSON line with every figure.

import { mkdtempSync, rmSync } from "node:fs";
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
const WRITERS = ["calltrail", "calltrail-chain", "calltrail-chain-key"];
const RUNTIMES = runtimes(BIN);
const TARGET = 0.7;

const dir = mkdtempSync(join(os.tmpdir(), "calltrail-chain-bench-"));
const results: Record<string, Record<string, number[]>> = {};
const versions: Record<string, string> = {};
try {
  for (const { id: runtime, command, argv } of RUNTIMES) {
    results[runtime] = Object.fromEntries(WRITERS.map((w) => [w, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = WRITERS.map((_, i) =>
        WRITERS[(i + round) % WRITERS.length]
      );
      for (const writer of order) {
        const path = join(dir, `${runtime}-${writer}-${round}.jsonl`);
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
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const rows = Object.entries(results).map(([runtime, byWriter]) => {
  const plain = median(byWriter.calltrail);
  const chain = median(byWriter["calltrail-chain"]);
  const keyed = median(byWriter["calltrail-chain-key"]);
  return {
    runtime,
    version: versions[runtime],
    plain,
    chain,
    keyed,
    chainRatio: chain / plain,
    keyedRatio: keyed / plain,
  };
});
console.log(
  `End to end, ${EVENTS} events, median of ${ROUNDS} rounds per writer (events/s); target: chained / unchained >= ${TARGET}`,
);
console.log("runtime        unchained      chained  ratio    keyed  ratio");
for (const r of rows) {
  const verdict = (x: number) => `${x.toFixed(2)}${x >= TARGET ? "" : " FAIL"}`;
  console.log(
    `${`${r.runtime} ${r.version}`.padEnd(14)} ${
      String(Math.round(r.plain)).padStart(9)
    } ${String(Math.round(r.chain)).padStart(12)}  ${
      verdict(r.chainRatio).padEnd(5)
    } ${String(Math.round(r.keyed)).padStart(8)}  ${verdict(r.keyedRatio)}`,
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
