// Target 4, "bounded memory": under ten times more events than the
// destination can take, for 10 s, the process's RSS grows by less than
// capacity x 2 KiB plus one batch (64 KiB): 2,162,688 bytes at the default
// capacity of 1024.
//
//   node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 \
//     --no-flush-bytecode bench/memory.ts [--quick] [--control]
//   deno run -A --v8-flags=--expose-gc,--min-semi-space-size=16,\
//     --max-semi-space-size=16,--no-flush-bytecode bench/memory.ts [--quick]
//   bun bench/memory.ts [--quick]
//
// Prints one JSON line.
//
// With `--control`, the 10 s of overload are 10 s more of normal load: the
// same process, schedule and sink, without the overload. What RSS does there
// is the runtime's own drift under steady load (after a plain V8 `gc()`,
// Node's and Deno's RSS crept by 2 to 6 MiB over such a run, with or without
// the overload: see bench/_gc.ts; with the last-resort collection it uses,
// well under 1 MiB). `bench/run.ts` runs both and judges the growth the
// overload adds: `growth` minus the control's `growth`.
//
// The load: the producer calls `sink.onCall(event)` 50,000 times a second,
// paced on the clock in steps of 1 ms, each call with a fresh event object
// (as a host makes one per call). In overload, the sink's destination takes
// 5,000 events' worth of bytes a second (each write resolves after its
// bytes / that rate, on a timer, and keeps nothing): ten times fewer. A sink
// that kept events or lines beyond its queue would grow by about 15 MB a
// second; this one fills its queue within milliseconds and drops about 90%
// of the events.
//
// Design, for a noisy 2-core machine. Phases, in one process, the producer
// making its 50,000 events a second throughout (the host's own garbage):
//   warm-up   3 s  no sink: the events go nowhere (JIT, allocator, heap)
//   no sink   3 s  the same, measured
//   normal    4 s  one event in 20 goes to the sink (2,500 a second, half
//                  what its destination takes): the baseline
//   overload 10 s  every event goes to the sink: the run
//   normal    4 s  again, to see drift
// - growth = the highest collected RSS reading of the overload, minus the
//   median of the normal phase's: what ten times more events than the
//   destination can take add to a process that was auditing what it can
//   take, with the same sink, destination and host. bench/run.ts judges
//   it, less the same figure of the control run (`--control`).
// - growthOverNoSink, the same highest reading against the no-sink phase, is
//   everything the sink costs, its normal running included; `heapGrowth`
//   and `heapGrowthOverNoSink` give the heap in use, which is what the
//   queue retains. Reported, not judged.
// - Every 100 ms RSS is read as it is. Every second the whole load stops
//   (producer and destination run on a clock that skips these pauses, so
//   the queue stays as full as it was and nothing catches up in a burst
//   after), garbage is collected (V8's last-resort collection with
//   `node --expose-gc` or Deno `--v8-flags=--expose-gc`, `Bun.gc(true)`:
//   bench/_gc.ts) twice, 200 ms apart
//   (allocators return freed pages after a delay: read sooner, Bun's RSS
//   wanders by 2 to 3 MB), and RSS is read: memory still held after a
//   collection, which is what a bound on a queue is about. The run lasts 10
//   s of load time.
// - On V8 (Node, Deno), the young generation's size is pinned by the flags
//   above, `--min-semi-space-size=16 --max-semi-space-size=16` (`bench/run.ts`
//   passes them). Left to itself, V8 doubles it (here up to 128 MiB of new
//   space) whenever enough bytes have survived a scavenge since it last grew.
//   Lines waiting in a queue survive one, and so do a host's own requests in
//   flight: V8 then takes 16 MiB or more of RSS at once, at a moment that
//   depends on the run's history, for a nursery that holds nothing once
//   collected (Node, unpinned: RSS +17 MB with +1.1 MB of heap in use). That
//   is the collector's tuning, not the sink's memory; pinning keeps it out of
//   the figure. `youngGeneration` shows the new space's size before and
//   after (equal when pinned). Bun (JSC) has no such setting and needs none.
// - `--no-flush-bytecode` (V8): Node strips TypeScript with a bundled
//   stripper whose 3.8 MB source string stays in the heap until V8 flushes
//   the bytecode of its functions, some seconds into the process, at a
//   moment that depends on the run: RSS then drops by 3.6 MB in the middle
//   of the measurement and hides that much growth. With the flag the string
//   stays, in the baseline and in the run alike. `largeObjects` (V8's large
//   object space, before and after) shows whether such a drop happened.

import { runtimeInfo } from "./_runtime_info.ts";
import process from "node:process";
import v8 from "node:v8";
import {
  type AuditSinkStats,
  type CallEvent,
  JsonLinesAuditSink,
} from "../mod.ts";
import { benchEvent } from "./_events.ts";
import { collectGarbage } from "./_gc.ts";
import { median } from "./_median.ts";

const quick = process.argv.includes("--quick");
const control = process.argv.includes("--control");
const CAPACITY = 1024;
const BATCH_BYTES = 64 * 1024;
const LIMIT = CAPACITY * 2048 + BATCH_BYTES;
const DEST_EVENTS_PER_S = 5_000;
const OVERLOAD = 10;
const runS = quick ? 2 : 10;
const warmupS = quick ? 0.5 : 3;
const controlS = quick ? 1 : 3;
const normalS = quick ? 1 : 4;
/** Under normal load, one event in this many goes to the sink. */
const NORMAL_SHARE = 20;
const SAMPLE_MS = 100;
const GC_EVERY = 10; // samples: a collected reading every second
const SETTLE_MS = 200;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The load's clock: wall time minus the pauses taken to read memory. The
 * producer and the destination both run on it, so a pause stops the whole
 * load (the queue stays as full as it was) and nothing catches up after it.
 */
class LoadClock {
  #paused = 0;
  #hold: Promise<void> | undefined = undefined;

  now(): number {
    return performance.now() - this.#paused;
  }

  /** Waits `ms` of load time (longer when a pause falls in between). */
  async sleep(ms: number): Promise<void> {
    const until = this.now() + ms;
    for (let left = ms; left > 0; left = until - this.now()) {
      await sleep(left);
      while (this.#hold !== undefined) await this.#hold;
    }
  }

  /**
   * Stops the load, collects garbage, lets the allocator return what was
   * freed (Bun's does it after a delay), collects again, then reads memory.
   */
  async settledReading(): Promise<{ rss: number; heapUsed: number }> {
    const started = performance.now();
    let resume = (): void => {};
    this.#hold = new Promise<void>((resolve) => resume = resolve);
    try {
      collectGarbage();
      await sleep(SETTLE_MS);
      collectGarbage();
      (globalThis as { Bun?: { shrink?: () => void } }).Bun?.shrink?.();
      const { rss, heapUsed } = process.memoryUsage();
      return { rss, heapUsed };
    } finally {
      this.#paused += performance.now() - started;
      this.#hold = undefined;
      resume();
    }
  }
}

/** The size of one of V8's heap spaces, in bytes; null on Bun (JSC). */
function v8Space(name: string, used = false): number | null {
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) return null;
  try {
    const space = v8.getHeapSpaceStatistics().find((s) =>
      s.space_name === name
    );
    if (space === undefined) return null;
    return used ? space.space_used_size : space.space_size;
  } catch {
    return null;
  }
}

/** One line's bytes, to turn the destination's event rate into bytes. */
const LINE_BYTES = JSON.stringify(benchEvent(0)).length + 1;

/** Takes `eventsPerS` events' worth of bytes a second; keeps nothing. */
function throttledDestination(
  clock: LoadClock,
  counter: { bytes: number },
  eventsPerS: number,
) {
  const bytesPerMs = eventsPerS * LINE_BYTES / 1000;
  return new WritableStream<Uint8Array>({
    write(chunk) {
      counter.bytes += chunk.byteLength;
      return clock.sleep(chunk.byteLength / bytesPerMs);
    },
  });
}

/** The control: takes each event and keeps nothing, doing nothing with it. */
class NullSink {
  #accepted = 0;
  onCall(event: CallEvent): void {
    if (event !== undefined) this.#accepted++;
  }
  stats(): AuditSinkStats {
    const n = this.#accepted;
    return {
      accepted: n,
      written: n,
      dropped: 0,
      diverted: 0,
      failed: 0,
      invalid: 0,
      queued: 0,
    };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  /** Read just after a garbage collection. */
  gc: boolean;
}

interface Phase {
  produced: number;
  samples: Sample[];
  stats: AuditSinkStats;
  destinationBytes: number;
  seconds: number;
}

/**
 * Where the producer's 50,000 events a second go: nowhere (no sink), one in
 * 20 to the sink (normal load: half what its destination takes), or all of
 * them to the sink (overload: ten times what its destination takes). The
 * destination is the same slow one; the host makes the same events.
 */
type Load = "no sink" | "normal" | "overload";

/** The producer for `seconds`, into `load`, reading memory (or not). */
async function phase(
  seconds: number,
  load: Load,
  sample = true,
): Promise<Phase> {
  const clock = new LoadClock();
  const counter = { bytes: 0 };
  const sink = load === "no sink" ? new NullSink() : new JsonLinesAuditSink(
    throttledDestination(clock, counter, DEST_EVENTS_PER_S),
    // Overload fills the queue by design: keep its reports off stderr.
    { capacity: CAPACITY, onError: () => {} },
  );
  const nothing = new NullSink();
  const every = load === "normal" ? NORMAL_SHARE : 1;
  const audit = (event: CallEvent, i: number) =>
    i % every === 0 ? sink.onCall(event) : nothing.onCall(event);
  const rate = DEST_EVENTS_PER_S * OVERLOAD / 1000; // events per ms
  const samples: Sample[] = [];
  const started = clock.now();
  let produced = 0;
  let nextSample = SAMPLE_MS;
  for (let t = 0; t < seconds * 1000; t = clock.now() - started) {
    const due = Math.floor(t * rate);
    while (produced < due) audit(benchEvent(produced), produced++);
    if (sample && t >= nextSample) {
      const gc = (samples.length + 1) % GC_EVERY === 0;
      const { rss, heapUsed } = gc
        ? await clock.settledReading()
        : process.memoryUsage();
      samples.push({ t: Math.round(t), rss, heapUsed, gc });
      nextSample += SAMPLE_MS;
    }
    await sleep(1);
  }
  if (sample) {
    const { rss, heapUsed } = await clock.settledReading();
    const t = Math.round(clock.now() - started);
    samples.push({ t, rss, heapUsed, gc: true });
  }
  const elapsed = (clock.now() - started) / 1000;
  const stats = sink.stats();
  await sink.close();
  return {
    produced,
    samples,
    stats,
    destinationBytes: counter.bytes,
    seconds: elapsed,
  };
}

const max = (xs: number[]) => xs.length === 0 ? NaN : Math.max(...xs);
const collected = (p: Phase, key: "rss" | "heapUsed" = "rss") =>
  p.samples.filter((s) => s.gc).map((s) => s[key]);
const all = (p: Phase) => p.samples.map((s) => s.rss);

const began = performance.now();
const gcForced = collectGarbage();
await phase(warmupS, "no sink", false);
const youngBefore = v8Space("new_space");
const largeBefore = v8Space("large_object_space", true);
const noSink = await phase(controlS, "no sink");
const before = await phase(normalS, "normal");
const run = await phase(runS, control ? "normal" : "overload");
const after = await phase(normalS, "normal");
const youngAfter = v8Space("new_space");
const largeAfter = v8Space("large_object_space", true);

const baseline = median(collected(before));
const peak = max(collected(run));
const growth = peak - baseline;

console.log(JSON.stringify({
  bench: "memory",
  ...runtimeInfo(),
  quick,
  control,
  gcForced,
  config: {
    capacity: CAPACITY,
    producerEventsPerSecond: DEST_EVENTS_PER_S * OVERLOAD,
    destinationEventsPerSecond: DEST_EVENTS_PER_S,
    normalSinkEventsPerSecond: DEST_EVENTS_PER_S * OVERLOAD / NORMAL_SHARE,
    lineBytes: LINE_BYTES,
    warmupSeconds: warmupS,
    noSinkSeconds: controlS,
    normalSeconds: normalS,
    runSeconds: runS,
  },
  limit: LIMIT,
  baseline,
  /** Overload against normal load: the verdict. */
  growth,
  /** Overload against no sink at all: everything the sink costs. */
  growthOverNoSink: peak - median(collected(noSink)),
  /** Normal load against no sink. */
  normalOverNoSink: baseline - median(collected(noSink)),
  peakGrowth: max(all(run)) - max(all(before)),
  heapGrowth: max(collected(run, "heapUsed")) -
    median(collected(before, "heapUsed")),
  heapGrowthOverNoSink: max(collected(run, "heapUsed")) -
    median(collected(noSink, "heapUsed")),
  /** Spread of the baseline's collected readings: noise. */
  baselineSpread: max(collected(before)) - Math.min(...collected(before)),
  /** Normal load after the run, against the baseline: drift. */
  drift: median(collected(after)) - baseline,
  youngGeneration: { before: youngBefore, after: youngAfter },
  largeObjects: { before: largeBefore, after: largeAfter },
  produced: run.produced,
  producedPerSecond: Math.round(run.produced / run.seconds),
  writtenPerSecond: Math.round(run.stats.written / run.seconds),
  stats: run.stats,
  normalStats: before.stats,
  destinationBytes: run.destinationBytes,
  samples: {
    noSink: noSink.samples,
    before: before.samples,
    run: run.samples,
    after: after.samples,
  },
  seconds: (performance.now() - began) / 1000,
}));
