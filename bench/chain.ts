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

import { writerRatios } from "./_writer_ratios.ts";

await writerRatios({
  title: "The chain, end to end",
  base: ["calltrail", "unchained"],
  variants: [["calltrail-chain", "chained"], ["calltrail-chain-key", "keyed"]],
  target: 0.7,
});
