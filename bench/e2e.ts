// End to end: N events written to a file until the sink has closed, by one
// writer, in this process. Prints one JSON line with the result.
//
//   <runtime> bench/e2e.ts <writer> <file> [events]
//
// Writers:
// - calltrail: fileAuditSink, producing with `await sink.send(event)` (the
//   no-loss path);
// - calltrail-oncall: the same with `sink.onCall(event)` (may drop);
// - calltrail-chain, calltrail-chain-key: calltrail with the tamper-evident
//   chain (`chain: true`, or a 32-byte key), its sidecar written too
//   (node:crypto, which the chain reaches at call time, is loaded untimed);
// - calltrail-rotate: calltrail rotating its file at 1 MiB
//   (`rotate: { maxBytes: 1048576 }`), the rotated files left in the file's
//   directory;
// - pino: pino 10, pino.destination({ minLength: 4096, sync: false }),
//   base: null, timestamp: false, `logger.info(event)`;
// - logtape: LogTape's getFileSink with nonBlocking and jsonLinesFormatter,
//   `logger.info(event)` (LogTape writes such a call's properties twice: as
//   the message, rendered from its `{*}` template, and as `properties`);
// - floor: JSON.stringify of each event plus one fs.writeSync per 64 KiB.
//
// Two more writers climb from the floor to calltrail one step at a time, so
// that a gap between them (target 1c) can be split into its causes:
// - floor-await: the floor with the producer's `await` per event, as the
//   calltrail writer has (the target's own harness);
// - floor-serialize: floor-await writing serializeCallEvent(event) instead
//   of JSON.stringify(event): the checks and the snapshot.
// What calltrail adds to floor-serialize is the sink itself: the queue, its
// batches and accounting, and its own write path.
//
// The clock runs from opening the file to the moment everything is written
// and the file is closed. Modules are loaded before it starts, for every
// writer alike (calltrail's statically, pino's and LogTape's dynamically), so
// that no writer pays for loading its code.

import { runtimeInfo } from "./_runtime_info.ts";
import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import process from "node:process";
import {
  type CallEvent,
  fileAuditSink,
  type FileAuditSinkOptions,
  serializeCallEvent,
} from "../mod.ts";
import { BENCH_EVENTS } from "./_events.ts";

const [writer, path, count = "200000"] = process.argv.slice(2);
const n = Number(count);
if (path === undefined || !Number.isSafeInteger(n) || n < 1) {
  console.error("usage: bench/e2e.ts <writer> <file> [events]");
  process.exit(2);
}
rmSync(path, { force: true });
rmSync(`${path}.chain`, { force: true });

const { runtime, version } = runtimeInfo();

/** The one JSON line this script prints. */
export interface E2eResult {
  runtime: string;
  version: string;
  writer: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  drops: number;
  bytes: number;
  /** RSS after the run minus RSS before it, in bytes. */
  rssGrowth: number;
}

type Run = () => Promise<number>; // returns drops

/** Loads a writer's modules, untimed, and returns the timed run. */
type Prepare = () => Promise<Run>;

const writers: Record<string, Prepare> = {
  calltrail: () =>
    Promise.resolve(async () => {
      const sink = await fileAuditSink(path);
      for (let i = 0; i < n; i++) await sink.send(BENCH_EVENTS[i & 1023]);
      await sink.close();
      return sink.drops();
    }),
  "calltrail-chain": () =>
    loadChainCode().then(() => () => chained({ chain: true })),
  "calltrail-chain-key": () =>
    loadChainCode().then(() => () =>
      chained({ chain: { key: new Uint8Array(32).fill(1) } })
    ),
  "calltrail-rotate": () =>
    Promise.resolve(() => chained({ rotate: { maxBytes: 1024 * 1024 } })),
  "calltrail-oncall": () =>
    Promise.resolve(async () => {
      // Drops are counted; keep the reports of a full queue off stderr.
      const sink = await fileAuditSink(path, { onError: () => {} });
      for (let i = 0; i < n; i++) sink.onCall(BENCH_EVENTS[i & 1023]);
      await sink.close();
      return sink.drops();
    }),
  async pino() {
    const { default: pino } = await import("pino");
    return async () => {
      const destination = pino.destination({
        dest: path,
        minLength: 4096,
        sync: false,
      });
      await new Promise((resolve) => destination.once("ready", resolve));
      const logger = pino({ base: null, timestamp: false }, destination);
      for (let i = 0; i < n; i++) logger.info(BENCH_EVENTS[i & 1023]);
      await new Promise<void>((resolve) => {
        destination.once("close", () => resolve());
        destination.end();
      });
      return 0;
    };
  },
  async logtape() {
    const { configure, dispose, getLogger, jsonLinesFormatter } = await import(
      "@logtape/logtape"
    );
    const { getFileSink } = await import("@logtape/file");
    return async () => {
      await configure({
        sinks: {
          file: getFileSink(path, {
            nonBlocking: true,
            formatter: jsonLinesFormatter,
          }),
        },
        loggers: [
          { category: ["bench"], sinks: ["file"], lowestLevel: "info" },
          { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
        ],
      });
      const logger = getLogger(["bench"]);
      for (let i = 0; i < n; i++) {
        logger.info(
          BENCH_EVENTS[i & 1023] as unknown as Record<string, unknown>,
        );
      }
      await dispose();
      return 0;
    };
  },
  floor: () =>
    Promise.resolve(() => {
      const fd = openSync(path, "a", 0o600);
      let buffer = "";
      for (let i = 0; i < n; i++) {
        buffer += JSON.stringify(BENCH_EVENTS[i & 1023]) + "\n";
        if (buffer.length >= 65536) {
          writeSync(fd, buffer);
          buffer = "";
        }
      }
      if (buffer.length > 0) writeSync(fd, buffer);
      closeSync(fd);
      return Promise.resolve(0);
    }),
  "floor-await": () => Promise.resolve(() => awaitingFloor(JSON.stringify)),
  "floor-serialize": () =>
    Promise.resolve(() => awaitingFloor(serializeCallEvent)),
};

/** The calltrail writer with options: a chain, or rotation. */
async function chained(options: FileAuditSinkOptions): Promise<number> {
  const sink = await fileAuditSink(path, options);
  for (let i = 0; i < n; i++) await sink.send(BENCH_EVENTS[i & 1023]);
  await sink.close();
  return sink.drops();
}

/**
 * Loads what the chain reaches at call time, node:crypto (8 to 9 ms on Node
 * and Bun, 3 on Deno), before the clock starts, as pino's and LogTape's
 * modules are: once per process, it is not the chain's throughput.
 */
async function loadChainCode(): Promise<void> {
  await import("node:crypto");
}

const settled: Promise<void> = Promise.resolve();

/**
 * The floor, awaiting a settled promise per event, writing `line(event)`. The
 * floor itself keeps its own loop above: synchronous, as target 1c defines it.
 */
async function awaitingFloor(
  line: (event: CallEvent) => string,
): Promise<number> {
  const fd = openSync(path, "a", 0o600);
  let buffer = "";
  for (let i = 0; i < n; i++) {
    buffer += line(BENCH_EVENTS[i & 1023]) + "\n";
    if (buffer.length >= 65536) {
      writeSync(fd, buffer);
      buffer = "";
    }
    await settled;
  }
  if (buffer.length > 0) writeSync(fd, buffer);
  closeSync(fd);
  return 0;
}

const prepare = Object.hasOwn(writers, writer) ? writers[writer] : undefined;
if (prepare === undefined) {
  console.error(`unknown writer ${writer}; one of ${Object.keys(writers)}`);
  process.exit(2);
}
const run = await prepare();
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const drops = await run();
const seconds = (performance.now() - started) / 1000;
const bytes = statSync(path).size;
rmSync(path, { force: true });
rmSync(`${path}.chain`, { force: true });
const result: E2eResult = {
  runtime,
  version,
  writer,
  events: n,
  seconds,
  eventsPerSecond: Math.round(n / seconds),
  drops,
  bytes,
  rssGrowth: process.memoryUsage().rss - rssBefore,
};
console.log(JSON.stringify(result));
