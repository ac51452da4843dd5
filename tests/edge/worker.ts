// A Cloudflare Worker (ES module syntax) that exercises calltrail on workerd
// with Web APIs only, no nodejs_compat. workerd_test.ts bundles it with
// esbuild, serves it with workerd and asserts on its JSON answers. Each route
// returns what it observed; the assertions live in the test, on the host.

import * as calltrail from "../../mod.ts";
import {
  type AuditSinkStats,
  type CallEvent,
  consoleAuditSink,
  createCallEvent,
  DEFAULT_AUDIT_QUEUE_CAPACITY,
  fanoutAuditSink,
  fileAuditSink,
  httpAuditSink,
  JsonLinesAuditSink,
  MemoryAuditSink,
  nowRfc3339,
  otlpAuditSink,
  parseCallEvent,
  readCallEvents,
  SCHEMA_VERSION,
  serializeCallEvent,
  startCall,
  stderrAuditSink,
  stdoutAuditSink,
} from "../../mod.ts";
import { SPEC_EVENT } from "../_spec_example.ts";

/** The part of workerd's `ExecutionContext` this worker uses. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

type Json = Record<string, unknown>;

/** The names SPEC §2 and §3 make public, with their expected `typeof`. */
const EXPORTS: Record<string, string> = {
  SCHEMA_VERSION: "number",
  DEFAULT_AUDIT_QUEUE_CAPACITY: "number",
  nowRfc3339: "function",
  createCallEvent: "function",
  startCall: "function",
  serializeCallEvent: "function",
  CallEventSchema: "object",
  parseCallEvent: "function",
  readCallEvents: "function",
  JsonLinesAuditSink: "function",
  fileAuditSink: "function",
  stdoutAuditSink: "function",
  stderrAuditSink: "function",
  consoleAuditSink: "function",
  MemoryAuditSink: "function",
  fanoutAuditSink: "function",
  httpAuditSink: "function",
  otlpAuditSink: "function",
};

const decoder = new TextDecoder();

/** A WritableStream that keeps its chunks; `text()` decodes them. */
function collector(): {
  stream: WritableStream<Uint8Array>;
  chunks: Uint8Array[];
  text: () => string;
  closed: () => boolean;
} {
  const chunks: Uint8Array[] = [];
  let closed = false;
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      chunks.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  return {
    stream,
    chunks,
    text: () => chunks.map((chunk) => decoder.decode(chunk)).join(""),
    closed: () => closed,
  };
}

function message(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : `${error}`;
}

/** An onError that keeps the messages, so nothing reaches the console. */
function errorLog(): { errors: string[]; onError: (error: Error) => void } {
  const errors: string[] = [];
  return { errors, onError: (error) => void errors.push(message(error)) };
}

/** A finished event of a call to `tool_id`. */
function finished(tool_id: string, caller_id = "edge-test"): CallEvent {
  return startCall({
    tool_id,
    caller_id,
    granted_capabilities: ["write", "read", "read"],
    tier: "hot",
  }).finish({ kind: "success" });
}

/** Parses each line, keeping the error message of those that fail. */
function parseLines(lines: string[]): (CallEvent | { error: string })[] {
  return lines.map((line) => {
    try {
      return parseCallEvent(line);
    } catch (error) {
      return { error: message(error) };
    }
  });
}

/** Settles with "hung" when `promise` has not settled after `ms`. */
async function orHang(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("hung"), ms);
  });
  try {
    return await Promise.race([
      promise.then(() => "resolved", (error) => `rejected: ${message(error)}`),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `run` and reports whether it threw. */
function tryCall(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    return message(error);
  }
}

// --- GET /exports -----------------------------------------------------------

function exportsRoute(): Json {
  const module = calltrail as unknown as Record<string, unknown>;
  const types: Record<string, string> = {};
  for (const name of Object.keys(EXPORTS)) types[name] = typeof module[name];
  const g = globalThis as {
    process?: { getBuiltinModule?: unknown; versions?: { node?: unknown } };
    Deno?: unknown;
    Bun?: unknown;
  };
  const node = g.process?.versions?.node;
  return {
    expected: EXPORTS,
    types,
    SCHEMA_VERSION,
    DEFAULT_AUDIT_QUEUE_CAPACITY,
    now: nowRfc3339(),
    // What this host offers beyond Web APIs (the test checks its premise).
    process: typeof g.process,
    nodeVersion: typeof node === "string" ? node : null,
    hasGetBuiltinModule: typeof g.process?.getBuiltinModule === "function",
    hasDeno: g.Deno !== undefined,
    hasBun: g.Bun !== undefined,
  };
}

// --- GET /core --------------------------------------------------------------

function coreRoute(): Json {
  const call = startCall({
    tool_id: "ref:echo.say",
    caller_id: "edge-test",
    granted_capabilities: ["write", "read", "read"],
    tier: "warm",
  });
  const event = call.finish({ kind: "success" });
  const secondFinish = tryCall(() => call.finish({ kind: "success" }));
  const line = serializeCallEvent(event);

  // The SPEC §1 example, as a literal object and through createCallEvent.
  const specLine = serializeCallEvent(SPEC_EVENT);
  const createdLine = serializeCallEvent(createCallEvent({
    ts: SPEC_EVENT.ts,
    call_id: SPEC_EVENT.call_id,
    tool_id: SPEC_EVENT.tool_id,
    caller_id: SPEC_EVENT.caller_id,
    granted_capabilities: ["write", "read", "write"],
    duration_ms: SPEC_EVENT.duration_ms,
    outcome: { kind: "success" },
    tier: SPEC_EVENT.tier,
  }));
  const bigint = { ...SPEC_EVENT, duration_ms: 17n as unknown as number };
  let badLineError: string | null = null;
  try {
    parseCallEvent(specLine.replace('"tool_id":"ref:echo.say"', '"tool_id":7'));
  } catch (error) {
    badLineError = message(error);
  }
  return {
    event,
    recorder: { call_id: call.call_id, finished: call.finished },
    secondFinish,
    line,
    parsedLine: parseCallEvent(line),
    specLine,
    createdLine,
    parsedSpecLine: parseCallEvent(specLine),
    schemaAcceptsSpecLine: calltrail.CallEventSchema.safeParse(
      JSON.parse(specLine),
    ).success,
    schemaRejectsEmpty: !calltrail.CallEventSchema.safeParse({}).success,
    serializeBigInt: tryCall(() => serializeCallEvent(bigint)),
    badLineError,
  };
}

// --- GET /stream ------------------------------------------------------------

async function streamRoute(): Promise<Json> {
  const out = collector();
  const log = errorLog();
  const sink = new JsonLinesAuditSink(out.stream, { onError: log.onError });
  const sent: string[] = [];
  for (let i = 0; i < 5; i++) {
    const event = finished(`ref:edge.stream_${i}`);
    sent.push(event.call_id);
    sink.onCall(event);
  }
  const viaSend = finished("ref:edge.stream_send");
  await sink.send(viaSend);
  sent.push(viaSend.call_id);
  const beforeClose = sink.stats();
  await sink.close();
  const text = out.text();
  const lines = text.split("\n");
  const last = lines.pop();

  // A full queue drops (and counts) instead of waiting.
  const full = new JsonLinesAuditSink(collector().stream, {
    capacity: 2,
    onError: log.onError,
  });
  for (let i = 0; i < 5; i++) full.onCall(finished("ref:edge.full"));
  const fullStats = full.stats();
  const fullDrops = full.drops();
  await full.close();

  return {
    sent,
    text,
    lines,
    afterLastNewline: last,
    parsed: parseLines(lines),
    beforeClose,
    stats: sink.stats(),
    drops: sink.drops(),
    destinationClosed: out.closed(),
    full: { stats: fullStats, drops: fullDrops, closed: full.stats() },
    errors: log.errors,
  };
}

// --- GET /console?id=... and GET /console-stats?id=... -----------------------

/** Stats of each /console request's sink, once its waitUntil flush ran. */
const consoleResults = new Map<string, AuditSinkStats>();

function consoleRoute(url: URL, ctx: ExecutionContext): Json {
  const id = url.searchParams.get("id") ?? "";
  const log = errorLog();
  const sink = consoleAuditSink({ onError: log.onError });
  const event = finished("ref:edge.console", `console-${id}`);
  sink.onCall(event);
  const atResponse = sink.stats();
  ctx.waitUntil(
    sink.flush().then(() => void consoleResults.set(id, sink.stats())),
  );
  return { call_id: event.call_id, atResponse, errors: log.errors };
}

function consoleStatsRoute(url: URL): Json {
  const id = url.searchParams.get("id") ?? "";
  return { stats: consoleResults.get(id) ?? null };
}

// --- GET /invalid -----------------------------------------------------------

async function invalidRoute(): Promise<Json> {
  const bigint = { ...SPEC_EVENT, duration_ms: 1n as unknown as number };
  const inputs: unknown[] = [null, 42, {}, bigint];
  const log = errorLog();
  const stream = new JsonLinesAuditSink(collector().stream, {
    onError: log.onError,
  });
  const memory = new MemoryAuditSink({ onError: log.onError });
  const console_ = consoleAuditSink({ onError: log.onError });
  const fanMemory = new MemoryAuditSink({ onError: log.onError });
  const fanStream = new JsonLinesAuditSink(collector().stream, {
    onError: log.onError,
  });
  const fanout = fanoutAuditSink(fanMemory, fanStream);
  const sinks = { stream, memory, console: console_, fanout };
  const thrown: string[] = [];
  for (const [name, sink] of Object.entries(sinks)) {
    for (const input of inputs) {
      const error = tryCall(() => sink.onCall(input as CallEvent));
      if (error !== null) thrown.push(`${name}: ${error}`);
    }
  }
  let sendBigInt: string = "resolved";
  try {
    await stream.send(bigint);
  } catch (error) {
    sendBigInt = `rejected: ${message(error)}`;
  }
  await Promise.all([stream.close(), console_.close(), fanout.close()]);
  return {
    thrown,
    sendBigInt,
    stats: {
      stream: stream.stats(),
      memory: memory.stats(),
      console: console_.stats(),
      fanMemory: fanMemory.stats(),
      fanStream: fanStream.stats(),
    },
    drops: { fanout: fanout.drops(), memory: memory.drops() },
    memoryEvents: memory.events.length,
    errors: log.errors,
  };
}

// --- GET /memory-fanout -----------------------------------------------------

async function memoryFanoutRoute(): Promise<Json> {
  const log = errorLog();
  const memory = new MemoryAuditSink({ onError: log.onError });
  const out = collector();
  const stream = new JsonLinesAuditSink(out.stream, { onError: log.onError });
  const fanout = fanoutAuditSink(memory, stream);
  const sent: string[] = [];
  for (let i = 0; i < 3; i++) {
    const event = finished(`ref:edge.fanout_${i}`);
    sent.push(event.call_id);
    fanout.onCall(event);
  }
  const viaSend = finished("ref:edge.fanout_send");
  await fanout.send(viaSend);
  sent.push(viaSend.call_id);
  await fanout.flush();
  const flushed = stream.stats();
  await fanout.close();

  // Drops: a MemoryAuditSink with room for one, twice in a fanout.
  const small = new MemoryAuditSink({ capacity: 1, onError: log.onError });
  const small2 = new MemoryAuditSink({ capacity: 1, onError: log.onError });
  const smallFanout = fanoutAuditSink(small, small2);
  smallFanout.onCall(finished("ref:edge.small_1"));
  smallFanout.onCall(finished("ref:edge.small_2"));

  const lines = out.text().split("\n").filter((line) => line !== "");
  return {
    sent,
    memoryEvents: memory.events,
    memoryStats: memory.stats(),
    lines,
    parsed: parseLines(lines),
    flushed,
    stream: stream.stats(),
    drops: fanout.drops(),
    destinationClosed: out.closed(),
    small: {
      drops: small.drops(),
      fanoutDrops: smallFanout.drops(),
      events: small.events.length,
    },
    errors: log.errors,
  };
}

// --- GET /read -------------------------------------------------------------
// readCallEvents over a response body: lines cut across chunks, a bad line,
// a torn last line; and a chained fileAuditSink, which needs a file system.

async function readRoute(): Promise<Json> {
  const line = serializeCallEvent(finished("ref:edge.read"));
  const text = `${line}\nnot json\n${line}\n${line.slice(0, 30)}`;
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 7) {
        controller.enqueue(bytes.slice(at, at + 7));
      }
      controller.close();
    },
  });
  const bad: string[] = [];
  const events: CallEvent[] = [];
  for await (
    const event of readCallEvents(body, {
      onInvalid: (n, error) => void bad.push(`${n} ${error.name}`),
    })
  ) {
    events.push(event);
  }
  let chained: string;
  try {
    await fileAuditSink("x", { chain: true });
    chained = "resolved";
  } catch (error) {
    chained = `rejected: ${message(error)}`;
  }
  return { events: events.length, same: events[0]?.call_id, bad, chained };
}

// --- GET /native ------------------------------------------------------------

/** Runs `run` with console[method] captured (and still forwarded). */
async function capturing(
  method: "log" | "error",
  run: () => Promise<unknown>,
): Promise<string[]> {
  const captured: string[] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => {
    captured.push(args.map(String).join(" "));
    original.apply(console, args);
  };
  try {
    await run();
  } finally {
    console[method] = original;
  }
  return captured;
}

async function nativeRoute(): Promise<Json> {
  let file: string;
  try {
    const sink = await fileAuditSink("x");
    await sink.close();
    file = "resolved";
  } catch (error) {
    file = `rejected: ${message(error)}`;
  }

  const log = errorLog();
  const results: Json = {};
  for (
    const [name, make, method] of [
      ["stdout", stdoutAuditSink, "log"],
      ["stderr", stderrAuditSink, "error"],
    ] as const
  ) {
    let sink: JsonLinesAuditSink | undefined;
    let event: CallEvent | undefined;
    let made: string | null = null;
    const captured = await capturing(method, async () => {
      try {
        sink = make({ onError: log.onError });
        event = finished(`ref:edge.${name}`, `native-${name}`);
        sink.onCall(event);
        await sink.close();
      } catch (error) {
        made = message(error);
      }
    });
    results[name] = {
      made,
      call_id: event?.call_id ?? null,
      captured,
      parsed: parseLines(captured),
      stats: sink?.stats() ?? null,
    };
  }
  return { file, ...results, errors: log.errors };
}

// --- GET /global?step=N -----------------------------------------------------
// Sinks made once, at module scope, and used by several requests, as hosts
// do. Each step audits one call on each sink, hands the flush to waitUntil
// and also waits for it (reporting "hung" instead of hanging forever).

const globalLog = errorLog();
const globalConsole = consoleAuditSink({ onError: globalLog.onError });
const globalOut = collector();
const globalStream = new JsonLinesAuditSink(globalOut.stream, {
  onError: globalLog.onError,
});
const globalMemory = new MemoryAuditSink({ onError: globalLog.onError });
const globalFanout = fanoutAuditSink(globalMemory, globalStream);
const globalSent: string[] = [];

async function globalRoute(url: URL, ctx: ExecutionContext): Promise<Json> {
  const step = url.searchParams.get("step") ?? "";
  const thrown: string[] = [];
  const consoleEvent = finished("ref:edge.global_console", `global-${step}`);
  const fanoutEvent = finished("ref:edge.global_fanout", `global-${step}`);
  const e1 = tryCall(() => globalConsole.onCall(consoleEvent));
  const e2 = tryCall(() => globalFanout.onCall(fanoutEvent));
  for (const error of [e1, e2]) if (error !== null) thrown.push(error);
  globalSent.push(fanoutEvent.call_id);
  const flushed = Promise.all([globalConsole.flush(), globalFanout.flush()]);
  ctx.waitUntil(flushed);
  const flush = await orHang(flushed, 10_000);
  const lines = globalOut.text().split("\n").filter((line) => line !== "");
  return {
    step,
    thrown,
    flush,
    consoleCallId: consoleEvent.call_id,
    sent: globalSent,
    console: globalConsole.stats(),
    stream: globalStream.stats(),
    memory: globalMemory.stats(),
    drops: { console: globalConsole.drops(), fanout: globalFanout.drops() },
    lines,
    parsed: parseLines(lines),
    errors: globalLog.errors,
  };
}

// --- GET /global-no-flush?step=N --------------------------------------------
// A module-scope sink that a host feeds with onCall only, never flushing:
// step 1 audits a call and answers at once; step 2 audits a call and stays
// in the request until the sink has written what it holds (its batch is
// sealed "on the next turn of the event loop"), or gives up.

const lateOut = collector();
const lateLog = errorLog();
const lateSink = new JsonLinesAuditSink(lateOut.stream, {
  onError: lateLog.onError,
});
const lateSent: string[] = [];

/** Waits, a timer turn at a time, until `done()` or `turns` turns passed. */
async function turnsUntil(
  done: () => boolean,
  turns: number,
): Promise<boolean> {
  for (let i = 0; i < turns && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return done();
}

async function globalNoFlushRoute(url: URL): Promise<Json> {
  const step = url.searchParams.get("step") ?? "";
  const event = finished("ref:edge.global_no_flush", `late-${step}`);
  lateSent.push(event.call_id);
  const thrown = tryCall(() => lateSink.onCall(event));
  let waited = "did not wait";
  if (step === "2") {
    const written = await turnsUntil(() => lateSink.stats().queued === 0, 500);
    waited = written ? "written" : "still queued after 500 timer turns";
  }
  const lines = lateOut.text().split("\n").filter((line) => line !== "");
  return {
    step,
    thrown,
    waited,
    sent: lateSent,
    stats: lateSink.stats(),
    lines,
    errors: lateLog.errors,
  };
}

// --- GET /http?to=URL&id=ID&kind=http|otlp&scope=request|module ------------
// Audits one call to an HTTP sink that sends to `to` (a receiver the test
// runs on 127.0.0.1), and hands the sink's flush to ctx.waitUntil: a sink
// made for the request (closed in waitUntil), or one made at module scope
// and shared by the requests. GET /http?settled=CALL_ID tells whether that
// call's waitUntil has ended.

const sharedHttp = new Map<string, JsonLinesAuditSink>();
const httpLog = errorLog();
const settledHttp = new Set<string>();

function httpRoute(url: URL, ctx: ExecutionContext): Json {
  const settled = url.searchParams.get("settled");
  if (settled !== null) return { settled: settledHttp.has(settled) };
  const to = url.searchParams.get("to") ?? "";
  const kind = url.searchParams.get("kind") ?? "http";
  const make = () =>
    (kind === "otlp" ? otlpAuditSink : httpAuditSink)(to, {
      onError: httpLog.onError,
    });
  const event = finished(`ref:edge.${kind}`, url.searchParams.get("id") ?? "");
  if (url.searchParams.get("scope") === "module") {
    let sink = sharedHttp.get(`${kind} ${to}`);
    if (sink === undefined) sharedHttp.set(`${kind} ${to}`, sink = make());
    sink.onCall(event);
    ctx.waitUntil(sink.flush().then(() => void settledHttp.add(event.call_id)));
  } else {
    const sink = make();
    sink.onCall(event);
    ctx.waitUntil(sink.close().then(() => void settledHttp.add(event.call_id)));
  }
  return { call_id: event.call_id, errors: httpLog.errors };
}

// --- the worker -------------------------------------------------------------

const worker = {
  async fetch(
    request: Request,
    _env: unknown,
    ctx: ExecutionContext,
  ): Promise<Response> {
    const url = new URL(request.url);
    try {
      let body: Json;
      switch (url.pathname) {
        case "/ready":
          return new Response("ready");
        case "/exports":
          body = exportsRoute();
          break;
        case "/core":
          body = coreRoute();
          break;
        case "/stream":
          body = await streamRoute();
          break;
        case "/console":
          body = consoleRoute(url, ctx);
          break;
        case "/console-stats":
          body = consoleStatsRoute(url);
          break;
        case "/invalid":
          body = await invalidRoute();
          break;
        case "/memory-fanout":
          body = await memoryFanoutRoute();
          break;
        case "/read":
          body = await readRoute();
          break;
        case "/native":
          body = await nativeRoute();
          break;
        case "/global":
          body = await globalRoute(url, ctx);
          break;
        case "/http":
          body = httpRoute(url, ctx);
          break;
        case "/global-no-flush":
          body = await globalNoFlushRoute(url);
          break;
        default:
          return Response.json({ error: "no such route" }, { status: 404 });
      }
      return Response.json(body);
    } catch (error) {
      return Response.json(
        { error: message(error), stack: (error as Error)?.stack ?? null },
        { status: 500 },
      );
    }
  },
};

export default worker;
