// Target 3, "dispatch never stalls": does auditing every call into a sink
// whose destination is slow add latency to the calls?
//
//   node --expose-gc bench/dispatch_stall.ts [--quick]
//   deno run -A --v8-flags=--expose-gc bench/dispatch_stall.ts [--quick]
//   bun bench/dispatch_stall.ts [--quick]
//
// Prints one JSON line.
//
// The loop: 32 workers dispatch tool calls concurrently, each call waiting
// for its tool: a timer of 1, 2, 3, 4 or 5 ms in turn (tools that do I/O;
// real ones take longer, so this is strict). A call's latency runs
// from just before it starts to just after it is audited. The audited loop
// wraps each call as a host does (`startCall` before, `finish` and
// `sink.onCall(event)` after); the bare loop runs the same calls without
// auditing. The sink is a JsonLinesAuditSink with the default capacity (1024)
// over a WritableStream whose every write takes 20 ms (it resolves on a
// timer: a slow disk or network, not a busy CPU). It fills up and drops:
// that is expected, and counted; what is measured is whether the calls get
// slower. Target: p99 latency audited <= 1.10 x p99 bare.
//
// Why tools of 1 to 5 ms and not all of 1 ms: with one duration, the 32
// calls wake together on the same timer tick and their p99 is set by the
// worst 1% of ticks, that is by the few ticks a virtual machine delays by a
// few milliseconds: on the project's 2-core machine the p99 of the bare loop
// alone then jumps between 1.2 and 4 ms from one half-second to the next,
// and A/A comparisons differ by up to 45%. Mixed durations spread the calls
// over the ticks, the p99 becomes a property of the loop, and repeated runs
// agree within a few percent. A sink that stalls (waits for its destination
// in the call path, or blocks the event loop for a millisecond at each
// batch) still moves that p99 by far more than 10%.
//
// Design, for a noisy 2-core machine:
// - Warm-up: one block of each loop first (JIT, timers, the sink's code),
//   not counted.
// - Then `pairs` pairs of blocks of `blockMs` each, bare and audited
//   alternately in the same process, in ABBA order (bare-audited, then
//   audited-bare) so that drift of the machine falls on both alike.
// - Each audited block gets a fresh sink, closed after the block, untimed;
//   garbage is collected (when the runtime lets us) and the loop rests 20 ms
//   between blocks, so that no block pays for the one before.
// - The latencies of all blocks of a kind are pooled; the ratio compares the
//   pooled p99s. Per-block p99s are reported to show the spread, and an A/A
//   check compares the bare blocks of the even pairs with those of the odd
//   pairs: its distance from 1 is the noise of this measurement.

import { runtimeInfo } from "./_runtime_info.ts";
import process from "node:process";
import { JsonLinesAuditSink, startCall } from "../mod.ts";
import { collectGarbage } from "./_gc.ts";

const quick = process.argv.includes("--quick");
const CONCURRENCY = 32;
const TOOL_MS = [1, 2, 3, 4, 5];
const WRITE_MS = 20;
const CAPACITY = 1024;
const TARGET_RATIO = 1.1;
const pairs = quick ? 2 : 12;
const blockMs = quick ? 250 : 500;
const warmupMs = quick ? 200 : 1000;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A destination whose every write takes `WRITE_MS`. */
function slowDestination(): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({ write: () => sleep(WRITE_MS) });
}

const TOOLS = ["ref:fs.read", "ref:fs.write", "ref:net.fetch", "ref:echo.say"];

interface Block {
  audited: boolean;
  latencies: Float64Array;
  calls: number;
  seconds: number;
  accepted: number;
  dropped: number;
}

/** Runs the loop for `ms`; returns every call's latency, in ms. */
async function block(audited: boolean, ms: number): Promise<Block> {
  const sink = audited
    ? new JsonLinesAuditSink(slowDestination(), {
      capacity: CAPACITY,
      onError: () => {}, // reports of the full queue; drops are counted
    })
    : undefined;
  let latencies = new Float64Array(1 << 16);
  let calls = 0;
  const started = performance.now();
  const deadline = started + ms;
  const worker = async (w: number): Promise<void> => {
    let i = w;
    let j = 0;
    while (performance.now() < deadline) {
      const toolMs = TOOL_MS[(w + j++) % TOOL_MS.length];
      const t0 = performance.now();
      if (sink !== undefined) {
        const call = startCall({
          tool_id: TOOLS[i & 3],
          caller_id: "agent-7f3c9e2a@tenant-0042",
          granted_capabilities: ["fs.read", "net.fetch"],
          tier: "warm",
        });
        await sleep(toolMs);
        sink.onCall(call.finish({ kind: "success" }));
      } else {
        await sleep(toolMs);
      }
      const latency = performance.now() - t0;
      if (calls === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[calls++] = latency;
      i += CONCURRENCY;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  const stats = sink?.stats();
  await sink?.close();
  return {
    audited,
    latencies: latencies.slice(0, calls),
    calls,
    seconds,
    accepted: stats?.accepted ?? 0,
    dropped: stats?.dropped ?? 0,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function pool(blocks: Block[]): Float64Array {
  const all = new Float64Array(blocks.reduce((n, b) => n + b.calls, 0));
  let at = 0;
  for (const b of blocks) {
    all.set(b.latencies, at);
    at += b.calls;
  }
  return all.sort();
}

function summary(blocks: Block[]) {
  const sorted = pool(blocks);
  const calls = sorted.length;
  const seconds = blocks.reduce((s, b) => s + b.seconds, 0);
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    blocks: blocks.length,
    calls,
    callsPerSecond: Math.round(calls / seconds),
    meanMs: sum / calls,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted[calls - 1],
    blockP99Ms: blocks.map((b) => percentile(b.latencies.slice().sort(), 0.99)),
    accepted: blocks.reduce((n, b) => n + b.accepted, 0),
    dropped: blocks.reduce((n, b) => n + b.dropped, 0),
  };
}

async function settle(): Promise<void> {
  collectGarbage();
  await sleep(20);
}

const began = performance.now();
const gc = collectGarbage();
await block(false, warmupMs);
await settle();
await block(true, warmupMs);
await settle();

const bare: Block[] = [];
const audited: Block[] = [];
for (let p = 0; p < pairs; p++) {
  for (const withAudit of p % 2 === 0 ? [false, true] : [true, false]) {
    const b = await block(withAudit, blockMs);
    (withAudit ? audited : bare).push(b);
    await settle();
  }
}

const bareSummary = summary(bare);
const auditedSummary = summary(audited);
const ratio = auditedSummary.p99Ms / bareSummary.p99Ms;
const evenBare = summary(bare.filter((_, i) => i % 2 === 0));
const oddBare = summary(bare.filter((_, i) => i % 2 === 1));

console.log(JSON.stringify({
  bench: "dispatch_stall",
  ...runtimeInfo(),
  quick,
  gcForced: gc,
  config: {
    concurrency: CONCURRENCY,
    toolMs: TOOL_MS,
    writeMs: WRITE_MS,
    capacity: CAPACITY,
    pairs,
    blockMs,
    warmupMs,
  },
  bare: bareSummary,
  audited: auditedSummary,
  p99Ratio: ratio,
  aaP99Ratio: bare.length >= 2 ? evenBare.p99Ms / oddBare.p99Ms : NaN,
  target: TARGET_RATIO,
  pass: ratio <= TARGET_RATIO,
  seconds: (performance.now() - began) / 1000,
}));
