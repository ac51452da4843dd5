// A small tool host audited with calltrail: copy it as a starting point.
//
// A dispatcher takes requests (who calls, with which capabilities, which
// tool, which arguments), runs the tool, and records one audit event per
// call into a JSON Lines file. Then it reads the file back and prints a
// summary.
//
//   node examples/tool_host.ts [--calls N] [--concurrency C] [--path P]
//   deno run -A examples/tool_host.ts ...     bun examples/tool_host.ts ...
//   npm run demo     deno task demo     bun run demo
//
// In your own code, import from "@calltrail/audit" instead of "../mod.ts".

import { readFile, rm } from "node:fs/promises";
import process from "node:process";
import {
  type AuditSink,
  type CallEvent,
  fileAuditSink,
  type Outcome,
  parseCallEvent,
  startCall,
  type Tier,
} from "../mod.ts";

// ---------------------------------------------------------------- the tools

/** Thrown by a tool to end its call with an outcome other than success. */
class ToolError extends Error {
  readonly outcome: Outcome;
  constructor(outcome: Outcome) {
    super(outcome.kind);
    this.outcome = outcome;
  }
}

type Args = Record<string, unknown>;

interface Tool {
  tier: Tier;
  /** Capabilities a caller must hold to run the tool. */
  requires: string[];
  run(args: Args): Promise<unknown>;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A pretend file system: the NFS mount is slow and times out. */
const files = new Map([
  ["/etc/motd", "Welcome!"],
  ["/data/report.csv", "day,calls\nmon,42\n"],
]);

async function readFakeFile(path: string): Promise<string> {
  if (path.startsWith("/mnt/nfs/")) {
    await sleep(2);
    throw new ToolError({
      kind: "execution_failed",
      code: "FS_TIMEOUT",
      retryable: true,
    });
  }
  const text = files.get(path);
  if (text === undefined) {
    throw new ToolError({
      kind: "execution_failed",
      code: "FS_NOT_FOUND",
      retryable: false,
    });
  }
  return text;
}

/** A pretend internet: how each host answers. */
const hosts = new Map<string, { latencyMs: number; status: number }>([
  ["api.example.com", { latencyMs: 0, status: 200 }],
  ["slow.example.com", { latencyMs: 1, status: 200 }],
  ["busy.example.com", { latencyMs: 0, status: 429 }],
]);

async function fakeFetch(url: string): Promise<string> {
  const host = hosts.get(new URL(url).host);
  if (host === undefined) {
    throw new ToolError({
      kind: "execution_failed",
      code: "NET_DNS",
      retryable: false,
    });
  }
  if (host.latencyMs > 0) await sleep(host.latencyMs);
  if (host.status === 429) {
    // Retry-After: 1 second. A 429 without the header would be `null`.
    throw new ToolError({ kind: "rate_limited", retry_after_ms: 1000 });
  }
  return `<html>${url}</html>`;
}

/** Rejects the call unless `args[key]` is a non-empty string. */
function stringArg(args: Args, key: string): string {
  const value = args[key];
  if (typeof value === "string" && value !== "") return value;
  // Say what is wrong, never what was sent: audit lines carry no argument
  // values.
  throw new ToolError({
    kind: "invalid_args",
    message: `${key} must be a non-empty string`,
  });
}

const tools = new Map<string, Tool>([
  ["ref:echo.say", {
    tier: "hot",
    requires: [],
    run: (args) => Promise.resolve(stringArg(args, "text")),
  }],
  ["ref:fs.read", {
    tier: "warm",
    requires: ["fs.read"],
    run: (args) => readFakeFile(stringArg(args, "path")),
  }],
  ["ref:fs.write", {
    tier: "warm",
    requires: ["fs.write"],
    run: async (args) => {
      const path = stringArg(args, "path");
      const text = stringArg(args, "text");
      if (args.fsync === true) await sleep(1);
      return { path, bytes: text.length };
    },
  }],
  ["ref:web.fetch", {
    tier: "cold",
    requires: ["net.fetch"],
    run: (args) => fakeFetch(stringArg(args, "url")),
  }],
]);

// ------------------------------------------------------------ the dispatcher

interface ToolRequest {
  caller_id?: string;
  granted_capabilities: string[];
  tool_id: string;
  args: Args;
}

/** Runs one request and audits it. The caller gets the outcome and result. */
async function dispatch(
  sink: AuditSink,
  request: ToolRequest,
): Promise<{ outcome: Outcome; result?: unknown }> {
  const tool = tools.get(request.tool_id);
  const call = startCall({
    tool_id: request.tool_id,
    caller_id: request.caller_id,
    granted_capabilities: request.granted_capabilities,
    tier: tool?.tier ?? "hot",
  });
  let outcome: Outcome = { kind: "success" };
  let result: unknown;
  if (tool === undefined) {
    outcome = { kind: "tool_not_found" };
  } else {
    const missing = tool.requires.filter((cap) =>
      !request.granted_capabilities.includes(cap)
    );
    if (missing.length > 0) {
      outcome = { kind: "capability_denied", missing };
    } else {
      try {
        result = await tool.run(request.args);
      } catch (error) {
        outcome = error instanceof ToolError ? error.outcome : {
          kind: "execution_failed",
          code: "INTERNAL",
          retryable: false,
        };
      }
    }
  }
  // The hot path: onCall never throws and never waits, so it is not awaited.
  sink.onCall(call.finish(outcome));
  return { outcome, result };
}

// ------------------------------------------------------- the request mix

/** mulberry32: a small seeded generator, so every run sends the same mix. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const callers = [
  { caller_id: "agent-7", granted_capabilities: ["fs.read", "net.fetch"] },
  {
    caller_id: "agent-9",
    granted_capabilities: ["fs.read", "fs.write", "net.fetch"],
  },
  { caller_id: "ci-bot", granted_capabilities: ["fs.read", "fs.write"] },
  { caller_id: undefined, granted_capabilities: ["net.fetch"] }, // anonymous
];
const paths = ["/etc/motd", "/data/report.csv", "/data/gone.csv"];
const urls = [
  "https://api.example.com/v1/items",
  "https://api.example.com/v1/users",
  "https://busy.example.com/search",
  "https://nowhere.invalid/",
];

/** The same stream of requests for the same seed. */
function requestMix(seed: number): () => ToolRequest {
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  // About 2% of calls wait on a timer (NFS, fsync, a slow host).
  const toolCall = (): [string, Args] => {
    const roll = random();
    if (roll < 0.4) return ["ref:echo.say", { text: "hello" }];
    if (roll < 0.65) {
      const path = chance(0.04)
        ? ""
        : chance(0.05)
        ? "/mnt/nfs/big.bin"
        : pick(paths);
      return ["ref:fs.read", { path }];
    }
    if (roll < 0.8) {
      const fsync = chance(0.05);
      return ["ref:fs.write", { path: "/tmp/notes.txt", text: "hi", fsync }];
    }
    if (roll < 0.97) {
      const url = chance(0.05) ? "https://slow.example.com/feed" : pick(urls);
      return ["ref:web.fetch", { url }];
    }
    return [pick(["ref:shell.exec", "ref:fs.delete"]), {}]; // no such tools
  };
  return () => {
    const caller = pick(callers);
    const [tool_id, args] = toolCall();
    return { ...caller, tool_id, args };
  };
}

// ------------------------------------------------------------------ the run

function option(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3) ?? fallback;
}

function count(name: string, fallback: number): number {
  const value = Number(option(name, String(fallback)));
  if (Number.isSafeInteger(value) && value >= 1) return value;
  console.error(`--${name} must be an integer >= 1`);
  process.exit(2);
}

function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

const calls = count("calls", 100_000);
const concurrency = count("concurrency", 64);
const path = option("path", "./audit.jsonl");

// Start from an empty file, so that what is read back is this run only.
await rm(path, { force: true });
const sink = await fileAuditSink(path); // default capacity: 1024 events

// events/s: calls / time from the first call until close() resolved.
const started = performance.now();
const nextRequest = requestMix(42);
let sent = 0;
async function client(): Promise<void> {
  while (sent < calls) {
    sent++;
    await dispatch(sink, nextRequest());
  }
}
await Promise.all(Array.from({ length: concurrency }, client));
await sink.close();
const wallMs = performance.now() - started;

// ------------------------------------------------------ read the trail back

const events: CallEvent[] = [];
let unreadable = 0;
for (const line of (await readFile(path, "utf8")).split("\n")) {
  if (line === "") continue;
  try {
    events.push(parseCallEvent(line));
  } catch (error) {
    if (unreadable++ === 0) console.error((error as Error).message);
  }
}

const byOutcome = new Map<string, number>();
const durations = new Map<string, number[]>();
for (const event of events) {
  const kind = event.outcome.kind;
  byOutcome.set(kind, (byOutcome.get(kind) ?? 0) + 1);
  const list = durations.get(event.tool_id) ?? [];
  list.push(event.duration_ms);
  durations.set(event.tool_id, list);
}

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** Columns padded to their widest cell: text left, numbers right. */
function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) =>
    Math.max(...rows.map((row) => String(row[c]).length))
  );
  return rows.map((row) =>
    "  " +
    row.map((cell, c) =>
      typeof cell === "number"
        ? String(cell).padStart(widths[c])
        : cell.padEnd(widths[c])
    ).join("  ").trimEnd()
  ).join("\n");
}

const stats = sink.stats();
const drops = sink.drops();
const perSecond = Math.round(calls / (wallMs / 1000));
const balanced = events.length + drops + stats.invalid === calls &&
  unreadable === 0;

console.log(`runtime: ${runtimeName()}`);
console.log(`${calls} calls, concurrency ${concurrency}, audit file ${path}\n`);
console.log(table([
  ["outcome", "calls"],
  ...[...byOutcome].sort((a, b) => b[1] - a[1]),
]));
console.log();
// A 1-2 ms timer shows as more at p99: it fires only when the event loop
// gets a turn, and clients whose calls never wait keep it busy.
console.log(table([
  ["tool", "calls", "p50 ms", "p99 ms"],
  ...[...durations].sort(([a], [b]) => a < b ? -1 : 1).map(([tool, list]) => {
    list.sort((a, b) => a - b);
    return [tool, list.length, percentile(list, 0.5), percentile(list, 0.99)];
  }),
]));
console.log();
console.log(table([
  ["", "accepted", "written", "dropped", "failed", "invalid", "queued"],
  [
    "sink",
    stats.accepted,
    stats.written,
    stats.dropped,
    stats.failed,
    stats.invalid,
    stats.queued,
  ],
]));
console.log();
console.log(`drops:     ${drops}`);
console.log(`read back: ${events.length} lines (${unreadable} unreadable)`);
console.log(
  `wall:      ${Math.round(wallMs)} ms until close(), ${perSecond} events/s`,
);
console.log(
  `check:     ${events.length} lines + ${drops} drops + ${stats.invalid} invalid = ${
    events.length + drops + stats.invalid
  } of ${calls} calls: ${balanced ? "ok" : "MISMATCH"}`,
);
if (!balanced) process.exitCode = 1;
