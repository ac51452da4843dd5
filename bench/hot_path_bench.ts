// The hot path: what one tool call costs the host, per event.
// Run: node bench/hot_path_bench.ts | deno run -A bench/hot_path_bench.ts |
//      bun bench/hot_path_bench.ts
// --json: one JSON line instead of mitata's report (times per call, in ns).
// --quick: a smoke run, the comparison group only, briefly (JSON).
//
// Two groups, in the same mitata run:
//
// 1. Per call: each benchmark is one call, timed by mitata in batches. The
//    event loop never turns inside a batch, so nothing is ever written; the
//    sink "with room" is replaced every 50,000 calls to keep it from filling.
//
// 2. calltrail vs pino vs LogTape, like for like (target 2 of the benchmark
//    suite): each sample is K = 1000 calls of one logger in a tight loop,
//    reported per call (the sample's time / K). Between samples, untimed, the
//    event loop turns and each logger's output is drained: calltrail's
//    `sink.flush()`, pino's `destination.flush(cb)`, LogTape's next timer
//    turn (its file sink has no flush of its own; each of its flushes writes
//    all it holds). So every sample starts with an empty buffer and room in
//    the queue, and only what each library does inside the call is timed;
//    the writes happen off the call path for all three. Without the turns,
//    pino's buffer (written only from the event loop) would grow by hundreds
//    of megabytes and its time would be that of the garbage collector.
//    All three write to /dev/null through their real file destinations:
//    - calltrail: `fileAuditSink("/dev/null")` (default capacity 1024; K is
//      below it, and the queue is empty at the start of each sample, so
//      every call is accepted, which the run checks: `drops` must be 0);
//    - pino 10: `pino.destination({ dest: "/dev/null", minLength: 4096,
//      sync: false })`, `base: null`, `timestamp: false`, `logger.info(event)`
//      (most of its time is sonic-boom 4's write, which measures the UTF-8
//      length of its current chunk, up to 16 KiB, on every line);
//    - LogTape: the real file sink (getFileSink, nonBlocking,
//      jsonLinesFormatter) to /dev/null, `logger.info(event)`. The real sink
//      is fairer than a stand-in: its call path (format, UTF-8 encode, buffer,
//      sometimes start a flush) is exactly what runs in the end-to-end
//      benchmark. Its fsync of /dev/null fails after each flush, off the call
//      path, and is reported to LogTape's meta logger, which has no sink here.

import { runtimeInfo } from "./_runtime_info.ts";
import { bench, do_not_optimize, measure, run, summary } from "mitata";
import process from "node:process";
import {
  fileAuditSink,
  JsonLinesAuditSink,
  serializeCallEvent,
  startCall,
} from "../mod.ts";
import { BENCH_EVENTS } from "./_events.ts";

const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const events = BENCH_EVENTS;
const discard = () => new WritableStream<Uint8Array>();

// A sink with room: replaced before its queue fills, so every call is
// accepted (the replacement costs one construction per 50,000 calls).
let roomy = new JsonLinesAuditSink(discard(), { capacity: 1 << 20 });
let calls = 0;

// A sink that is always full: every call is a drop.
const full = new JsonLinesAuditSink(
  new WritableStream({ write: () => new Promise(() => {}) }),
  // Its one report of a full queue would go to console.error.
  { capacity: 1, onError: () => {} },
);
full.onCall(events[0]);

if (!quick) {
  summary(perCallGroup);
}

function perCallGroup(): void {
  bench("JSON.stringify(event) (baseline)", function* () {
    let i = 0;
    yield () => do_not_optimize(JSON.stringify(events[i++ & 1023]));
  });
  bench("serializeCallEvent(event)", function* () {
    let i = 0;
    yield () => do_not_optimize(serializeCallEvent(events[i++ & 1023]));
  });
  bench("sink.onCall(event), queue has room", function* () {
    let i = 0;
    yield () => {
      if (++calls === 50_000) {
        calls = 0;
        roomy = new JsonLinesAuditSink(discard(), { capacity: 1 << 20 });
      }
      roomy.onCall(events[i++ & 1023]);
    };
  });
  bench("sink.onCall(event), queue full (drop)", function* () {
    let i = 0;
    yield () => full.onCall(events[i++ & 1023]);
  });
  bench("startCall() + finish()", () => {
    do_not_optimize(
      startCall({
        tool_id: "ref:fs.read",
        caller_id: "agent-7f3c9e2a@tenant-0042",
        granted_capabilities: ["fs.read", "net.fetch"],
        tier: "warm",
      }).finish({ kind: "success" }),
    );
  });
}

// ------------------------------------------- calltrail vs pino vs LogTape

/** Calls per sample in the comparison group. */
const K = 1000;

const COMPARE = {
  calltrail: `calltrail sink.onCall(event) x${K}`,
  pino: `pino logger.info(event) x${K}`,
  logtape: `LogTape logger.info(event) x${K}`,
} as const;

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A benchmark of the comparison group, for mitata's `bench` or `measure`. */
type Sampled = () => Generator<() => void, void, undefined>;

/**
 * A benchmark whose every sample is `K` calls of `call`, after `settle`
 * (awaited, untimed) has let the logger drain.
 */
function sampled(
  settle: () => Promise<void>,
  call: (i: number) => void,
): Sampled {
  return function* () {
    let i = 0;
    // mitata's generator form: parameter 0 is computed (and awaited) before
    // each timed sample; the benchmark takes it as its one argument.
    const sample = {
      [0]: settle,
      bench(_settled: unknown) {
        for (let k = 0; k < K; k++) call(i++);
      },
    };
    yield sample as unknown as () => void;
  };
}

const fileSink = await fileAuditSink("/dev/null");

const { default: pino } = await import("pino");
const pinoDestination = pino.destination({
  dest: "/dev/null",
  minLength: 4096,
  sync: false,
});
await new Promise((resolve) => pinoDestination.once("ready", resolve));
const pinoLogger = pino({ base: null, timestamp: false }, pinoDestination);

const logtape = await import("@logtape/logtape");
const { getFileSink } = await import("@logtape/file");
await logtape.configure({
  sinks: {
    file: getFileSink("/dev/null", {
      nonBlocking: true,
      formatter: logtape.jsonLinesFormatter,
    }),
  },
  loggers: [
    { category: ["bench"], sinks: ["file"], lowestLevel: "info" },
    { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
  ],
});
const logtapeLogger = logtape.getLogger(["bench"]);

const compared: Record<keyof typeof COMPARE, Sampled> = {
  calltrail: sampled(async () => {
    await fileSink.flush();
    await nextTurn();
  }, (i) => fileSink.onCall(events[i & 1023])),
  pino: sampled(async () => {
    await new Promise<void>((resolve) =>
      pinoDestination.flush(() => resolve())
    );
    await nextTurn();
  }, (i) => pinoLogger.info(events[i & 1023])),
  logtape: sampled(async () => {
    await nextTurn();
    await nextTurn();
  }, (i) =>
    logtapeLogger.info(
      events[i & 1023] as unknown as Record<string, unknown>,
    )),
};

if (!quick) {
  summary(() => {
    for (const key of ["calltrail", "pino", "logtape"] as const) {
      bench(COMPARE[key], compared[key]);
    }
  });
}

type Stats = Awaited<ReturnType<typeof measure>>;

interface Bench {
  name: string;
  /** Calls per sample: 1, or K in the comparison group. */
  callsPerSample: number;
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  samples: number;
}

/** What `--json` prints: one line, times in nanoseconds per call. */
export interface HotPathResult {
  runtime: string;
  version: string;
  quick: boolean;
  k: number;
  /** calltrail's drops in the comparison group: must be 0 (room). */
  calltrailDrops: number;
  /** The comparison group, average nanoseconds per call. */
  compare: { calltrail: number; pino: number; logtape: number };
  benchmarks: Bench[];
}

/** Per-call figures of one benchmark's stats (times of `per` calls). */
function figures(name: string, stats: Stats, per: number): Bench {
  return {
    name,
    callsPerSample: per,
    avgNs: stats.avg / per,
    p50Ns: stats.p50 / per,
    p99Ns: stats.p99 / per,
    samples: stats.samples.length,
  };
}

const result: HotPathResult = {
  ...runtimeInfo(),
  quick,
  k: K,
  calltrailDrops: 0,
  compare: { calltrail: NaN, pino: NaN, logtape: NaN },
  benchmarks: [],
};

if (quick) {
  // A smoke run: the comparison group only, about 0.2 s of samples each.
  for (const key of ["calltrail", "pino", "logtape"] as const) {
    const stats = await measure(compared[key], {
      min_cpu_time: 200 * 1e6,
      min_samples: 10,
    });
    result.benchmarks.push(figures(COMPARE[key], stats, K));
  }
} else if (!json) {
  await run();
} else {
  const names = new Set<string>(Object.values(COMPARE));
  const { benchmarks } = await run({ format: "quiet" });
  for (const trial of benchmarks) {
    for (const r of trial.runs) {
      if (r.stats === undefined) continue;
      result.benchmarks.push(
        figures(r.name, r.stats, names.has(r.name) ? K : 1),
      );
    }
  }
}
result.calltrailDrops = fileSink.drops();
for (const key of ["calltrail", "pino", "logtape"] as const) {
  const found = result.benchmarks.find((b) => b.name === COMPARE[key]);
  if (found !== undefined) result.compare[key] = found.avgNs;
}
if (json || quick) console.log(JSON.stringify(result));

await fileSink.close();
await new Promise<void>((resolve) => {
  pinoDestination.once("close", () => resolve());
  pinoDestination.end();
});
await logtape.dispose();
