// Rotation's cost end to end: the calltrail file sink with
// `rotate: { maxBytes: 1 MiB }` (a rotation every 1 MiB: 62 in a run of
// 200,000 events) against the same sink without rotation, each run of
// bench/e2e.ts in a fresh child process (bench/_e2e_rounds.ts), the two
// writers interleaved (the order swaps from round to round), on Node, Bun
// and Deno. Target: the rotating sink keeps at
// least 0.9 of the throughput without rotation (the ratio of medians, same
// run).
//
//   node bench/rotate.ts [--rounds N] [--events N]
//
// Run it alone: flock /tmp/calltrail-bench.lock node bench/rotate.ts
// Prints a table, then one JSON line with every figure.

import { writerRatios } from "./_writer_ratios.ts";

await writerRatios({
  title: "Rotation, end to end",
  base: ["calltrail", "not rotating"],
  variants: [["calltrail-rotate", "rotating"]],
  target: 0.9,
});
