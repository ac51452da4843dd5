// The HTTP sinks against OpenTelemetry's own pipeline, on Node, Bun and
// Deno, each writer in a fresh child process (bench/http_writer.ts) sending
// to one loopback receiver in its own process (bench/receiver.ts):
// 1. end to end: otlpAuditSink (send(), no loss; with its defaults, and
//    tuned) against LoggerProvider + BatchLogRecordProcessor +
//    OTLPLogExporter (HTTP/JSON), events per second until everything is
//    acknowledged, interleaved rounds, medians. Target: at least 3x theirs.
// 2. the caller's path: onCall against logger.emit, in timed samples of
//    2,048 calls (see bench/http_writer.ts). Target: at most 0.2x.
// 3. a slow link: a receiver that adds 50 ms to every answer; httpAuditSink
//    with send() and no loss, at several queue capacities and numbers of
//    requests at once. Target: 50,000 events/s.
//
//   node bench/http_sinks.ts [--rounds N] [--events N] [--quick]
//
// Prints a table, then one JSON line with every figure.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./_median.ts";
import { runOrThrow } from "./_child.ts";
import { runtimes } from "./_runtimes.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    events: { type: "string", default: "200000" },
    quick: { type: "boolean", default: false },
  },
});
const quick = values.quick!;
const ROUNDS = quick ? 1 : Number(values.rounds);
const EVENTS = quick ? 20_000 : Number(values.events);
const SLOW_EVENTS = quick ? 20_000 : 200_000;
/**
 * The end-to-end writers: otlpAuditSink with its defaults (capacity 1024,
 * one request at a time), and tuned (capacity 4096, two at once).
 */
const E2E_WRITERS: Record<string, { writer: string; args: string[] }> = {
  otlp: { writer: "otlp", args: [] },
  tuned: { writer: "otlp", args: ["4096", "2"] },
  otel: { writer: "otel", args: [] },
};
/** Slow link: queue capacity and maxConcurrentRequests. */
const SLOW_CONFIGS = quick
  ? [[16_384, 4]]
  : [[16_384, 1], [16_384, 4], [65_536, 8]];
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const WRITER = join(ROOT, "bench", "http_writer.ts");
const RECEIVER = join(ROOT, "bench", "receiver.ts");

/** Runs a child to its end; its stdout, or throws with its stderr. */
const run = (command: string, args: string[]) =>
  runOrThrow(command, args, 900, ROOT);

/** The last JSON line of a child's stdout. */
const lastJson = (out: string) =>
  JSON.parse(out.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!);

/** A receiver, started with `delay` ms per answer; its URL and its stop. */
async function receiver(delay: number) {
  const child: ChildProcess = spawn(
    join(BIN, "node"),
    [RECEIVER, "--delay", String(delay)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").once(
      "data",
      (c: string) => resolve(c.trim()),
    );
    child.on("error", reject);
  });
  const count = async (): Promise<number> =>
    (await (await fetch(`${url}/count`)).json()).events;
  return {
    url,
    count,
    stop: () =>
      new Promise<void>((resolve) => {
        child.on("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

interface Result {
  runtime: string;
  version: string;
  otlp: number;
  tuned: number;
  ratioTuned: number;
  otel: number;
  ratio: number;
  onCallNs: number;
  emitNs: number;
  hotRatio: number;
  slow: {
    capacity: number;
    requests: number;
    eventsPerSecond: number;
    drops: number;
  }[];
}

const results: Result[] = [];
for (const rt of runtimes(BIN)) {
  const argv = (...args: string[]) => rt.argv(WRITER).concat(args);
  const fast = await receiver(0);
  const eps: Record<string, number[]> = { otlp: [], tuned: [], otel: [] };
  let version = "";
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const keys = Object.keys(eps);
      // The order rotates from round to round.
      const order = keys.map((_, i) => keys[(i + round) % keys.length]);
      for (const key of order) {
        const { writer, args } = E2E_WRITERS[key];
        const before = await fast.count();
        const out = lastJson(
          await run(
            rt.command,
            argv(writer, `${fast.url}/v1/logs`, String(EVENTS), ...args),
          ),
        );
        const arrived = (await fast.count()) - before;
        if (arrived !== EVENTS || out.drops !== 0) {
          throw new Error(
            `${rt.id} ${key}: ${arrived} of ${EVENTS} events arrived, ${out.drops} lost`,
          );
        }
        version = out.version;
        eps[key].push(out.eventsPerSecond);
        process.stderr.write(
          `  ${rt.id} ${key} round ${round + 1}: ${
            Math.round(out.eventsPerSecond)
          } events/s\n`,
        );
      }
    }
    const hot = lastJson(
      await run(rt.command, argv("hot", `${fast.url}/v1/logs`, String(EVENTS))),
    );
    await fast.stop();
    const slowLink = await receiver(50);
    const slow: Result["slow"] = [];
    try {
      for (const [capacity, requests] of SLOW_CONFIGS) {
        const before = await slowLink.count();
        const out = lastJson(
          await run(
            rt.command,
            argv(
              "http",
              `${slowLink.url}/ingest`,
              String(SLOW_EVENTS),
              String(capacity),
              String(requests),
            ),
          ),
        );
        const arrived = (await slowLink.count()) - before;
        slow.push({
          capacity,
          requests,
          eventsPerSecond: out.eventsPerSecond,
          drops: SLOW_EVENTS - arrived + out.drops,
        });
        process.stderr.write(
          `  ${rt.id} slow link, capacity ${capacity}, ${requests} at once: ${
            Math.round(out.eventsPerSecond)
          } events/s\n`,
        );
      }
    } finally {
      await slowLink.stop();
    }
    const otlp = median(eps.otlp);
    const tuned = median(eps.tuned);
    const otel = median(eps.otel);
    results.push({
      runtime: rt.id,
      version,
      otlp,
      otel,
      ratio: otlp / otel,
      tuned,
      ratioTuned: tuned / otel,
      onCallNs: hot.onCallNs,
      emitNs: hot.emitNs,
      hotRatio: hot.onCallNs / hot.emitNs,
      slow,
    });
  } catch (error) {
    await fast.stop().catch(() => {});
    process.stderr.write(`  ${rt.id}: ERROR ${(error as Error).message}\n`);
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
console.log(
  `\nHTTP sinks vs OpenTelemetry JS (${ROUNDS} rounds of ${
    fmt(EVENTS)
  } events; slow link: ${fmt(SLOW_EVENTS)} events, 50 ms per answer)`,
);
for (const r of results) {
  const best = Math.max(...r.slow.map((s) => s.eventsPerSecond));
  console.log(
    `${r.runtime} ${r.version}: e2e otlpAuditSink ${fmt(r.otlp)} vs OTel ${
      fmt(r.otel)
    } events/s = ${
      r.ratio.toFixed(2)
    }x; tuned (capacity 4096, 2 requests at once) ${fmt(r.tuned)} = ${
      r.ratioTuned.toFixed(2)
    }x (need >= 3) ${
      Math.max(r.ratio, r.ratioTuned) >= 3 ? "PASS" : "FAIL"
    }; onCall ${r.onCallNs.toFixed(0)} ns vs emit ${r.emitNs.toFixed(0)} ns = ${
      r.hotRatio.toFixed(2)
    }x (need <= 0.2) ${r.hotRatio <= 0.2 ? "PASS" : "FAIL"}; slow link ${
      r.slow.map((s) =>
        `capacity ${s.capacity} x ${s.requests} requests: ${
          fmt(s.eventsPerSecond)
        }`
      )
        .join(", ")
    } events/s (need >= 50,000) ${best >= 50_000 ? "PASS" : "FAIL"}`,
  );
}
console.log(JSON.stringify({ rounds: ROUNDS, events: EVENTS, results }));
