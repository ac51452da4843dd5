// The model of the chaos test of JsonLinesAuditSink: a World holds the sink,
// a destination whose every write the model holds until a command releases
// it (at once or after a delay), fails it, lets writes flow, or stalls the
// destination for ever, and a model that predicts each call's fate. Each
// Step acts on the world, then checks the counters against the model;
// finish() closes the sink and checks what is left.

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AuditSinkStats,
  type CallEvent,
  JsonLinesAuditSink,
  MemoryAuditSink,
  serializeCallEvent,
} from "../mod.ts";
import { sampleEvent, tick } from "./_helpers.ts";
import { callEventArb } from "./_arbitraries.ts";

const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Values the sink must count as invalid (unless it drops them first). */
const INVALID = {
  "null": () => null,
  "a number": () => 42,
  "a string": () => "not an event",
  "NaN duration_ms": () => sampleEvent({ duration_ms: NaN }),
  "BigInt duration_ms": () =>
    sampleEvent({ duration_ms: 1n as unknown as number }),
  "numeric tool_id": () => sampleEvent({ tool_id: 7 as unknown as string }),
  "throwing getter": () =>
    Object.defineProperty(sampleEvent(), "tool_id", {
      enumerable: true,
      get() {
        throw new Error("getter threw");
      },
    }),
  "revoked proxy": () => {
    const { proxy, revoke } = Proxy.revocable(sampleEvent(), {});
    revoke();
    return proxy;
  },
  "line above maxLineBytes": (maxLineBytes: number) =>
    sampleEvent({
      outcome: { kind: "invalid_args", message: "x".repeat(maxLineBytes) },
    }),
} satisfies Record<string, (maxLineBytes: number) => unknown>;
type InvalidKind = keyof typeof INVALID;

/** What a command hands to onCall or send. */
type Payload = { event: CallEvent } | { invalid: InvalidKind };

const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 5, arbitrary: callEventArb.map((event) => ({ event })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...Object.keys(INVALID) as InvalidKind[]).map((
      invalid,
    ) => ({ invalid })),
  },
);

function showPayload(payload: Payload): string {
  return "event" in payload
    ? `event ${JSON.stringify(payload.event.call_id)}`
    : payload.invalid;
}

export interface Params {
  capacity: number;
  closeTimeout: number;
  maxLineBytes: number | undefined;
  preventClose: boolean;
  fallback: boolean;
  /** What the destination's own close() does. */
  closeMode: "resolve" | "reject" | "stall";
  /** What the end of the run does with writes still held. */
  endWith: "release" | "fail";
}

export const paramsArb: fc.Arbitrary<Params> = fc.record({
  capacity: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 5 }) },
    { weight: 1, arbitrary: fc.constant(16) },
  ),
  closeTimeout: fc.integer({ min: 20, max: 40 }),
  maxLineBytes: fc.constantFrom(undefined, 700),
  preventClose: fc.boolean(),
  fallback: fc.boolean(),
  closeMode: fc.constantFrom(
    "resolve",
    "resolve",
    "resolve",
    "reject",
    "stall",
  ),
  endWith: fc.constantFrom("release", "release", "release", "fail"),
});

/** One write() of the destination: its bytes, held until a command acts. */
interface HeldWrite {
  text: string;
  lines: number;
  state: "held" | "releasing" | "stalled" | "written" | "failed";
  resolve: () => void;
  reject: (error: Error) => void;
}

/** One send() and what the model expects of it. */
interface SendRecord {
  label: string;
  /** Its line when the model deems the event valid. */
  line: string | undefined;
  /** What the call did at once: "wait" when it waits for room. */
  expect: "accepted" | "closed" | "invalid" | "aborted" | "wait";
  reason: Error | undefined;
  /** Aborted by a command while it was still waiting. */
  abortedWhileWaiting: boolean;
  settled: boolean;
}

/** The sink, the destination it writes to and the model, all in one. */
export class World {
  readonly p: Params;
  readonly maxLineBytes: number;
  readonly sink: JsonLinesAuditSink;
  readonly stream: WritableStream<Uint8Array>;
  readonly fallback: MemoryAuditSink | undefined;
  readonly errors: Error[] = [];
  /** Violations seen inside promise callbacks; asserted empty at each step. */
  readonly problems: string[] = [];

  // The destination, driven by the commands.
  readonly writes: HeldWrite[] = [];
  resolvedText = "";
  resolvedLines = 0;
  failNext = false;
  stalled = false;
  /** Writes resolve as they come, until a command turns the flow off. */
  flowing = false;
  /** The model failed a write of the destination (and the sink saw it). */
  destFailed = false;
  destCloses = 0;
  /** What the destination's close() did, once called. */
  destClose: "resolved" | "rejected" | "stalled" | undefined = undefined;
  readonly timers = new Set<Promise<void>>();

  // The model.
  onCalls = 0;
  readonly sends: SendRecord[] = [];
  /** Sends waiting for room, not yet settled. */
  waiting = 0;
  accepted = 0;
  dropped = 0;
  invalid = 0;
  readonly acceptedLines: string[] = [];
  diverted = 0;
  readonly divertedLines: string[] = [];
  divertedInvalid = 0;
  readonly controllers: { controller: AbortController; send: SendRecord }[] =
    [];
  readonly flushes: { label: string; settled: boolean }[] = [];
  closing: Promise<void> | undefined = undefined;
  closeResolved = false;
  /** The counters when close() resolved: they may not change after. */
  frozen: AuditSinkStats | undefined = undefined;
  prev: AuditSinkStats;
  /** The commands run so far. */
  readonly log: string[] = [];

  constructor(p: Params) {
    this.p = p;
    this.maxLineBytes = p.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.stream = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
      close: () => {
        this.destCloses++;
        if (this.stalled || p.closeMode === "stall") {
          this.destClose = "stalled";
          return new Promise<void>(() => {});
        }
        if (p.closeMode === "reject") {
          this.destClose = "rejected";
          return Promise.reject(new Error("injected close failure"));
        }
        this.destClose = "resolved";
      },
    });
    this.fallback = p.fallback
      ? new MemoryAuditSink({ onError: () => {} })
      : undefined;
    this.sink = new JsonLinesAuditSink(this.stream, {
      capacity: p.capacity,
      closeTimeout: p.closeTimeout,
      maxLineBytes: p.maxLineBytes,
      preventClose: p.preventClose,
      fallback: this.fallback,
      onError: (error) => void this.errors.push(error),
    });
    this.prev = this.sink.stats();
  }

  #write(chunk: Uint8Array): Promise<void> {
    const text = decoder.decode(chunk);
    if (!text.endsWith("\n")) {
      this.problems.push(`a write does not end with a newline: ${text}`);
    }
    const write: HeldWrite = {
      text,
      lines: text.split("\n").length - 1,
      state: "held",
      resolve: () => {},
      reject: () => {},
    };
    this.writes.push(write);
    if (this.stalled) {
      write.state = "stalled";
      return new Promise<void>(() => {});
    }
    if (this.failNext) {
      this.failNext = false;
      this.destFailed = true;
      write.state = "failed";
      return Promise.reject(new Error("injected write failure"));
    }
    if (this.flowing) {
      write.state = "written";
      this.resolvedText += text;
      this.resolvedLines += write.lines;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      write.resolve = resolve;
      write.reject = reject;
    });
  }

  /** The write the destination holds, if any (there is at most one). */
  held(): HeldWrite | undefined {
    return this.writes.find((write) => write.state === "held");
  }

  /** No more events: close() was called or the destination failed. */
  closed(): boolean {
    return this.closing !== undefined || this.destFailed;
  }

  /** close() gave up on a destination that made no progress. */
  abandoned(): boolean {
    return this.errors.some((e) => /close\(\) gave up/.test(e.message));
  }

  /** A fresh value for the payload: the sink may keep no reference to it. */
  materialize(payload: Payload): unknown {
    return "event" in payload
      ? structuredClone(payload.event)
      : INVALID[payload.invalid](this.maxLineBytes);
  }

  /** The value's canonical line, and whether it fits maxLineBytes. */
  lineOf(value: unknown): { line: string | undefined; fits: boolean } {
    let line: string;
    try {
      line = serializeCallEvent(value as CallEvent);
    } catch {
      return { line: undefined, fits: false };
    }
    return { line, fits: encoder.encode(line).length <= this.maxLineBytes };
  }

  /** The caller reuses its object: the line written must not change. */
  mutate(value: unknown): void {
    if (typeof value !== "object" || value === null) return;
    try {
      const event = value as Record<string, unknown>;
      event.tool_id = "mutated after the call";
      event.duration_ms = NaN;
      event.granted_capabilities = ["mutated"];
    } catch {
      // A revoked proxy or a getter-only property: nothing to reuse.
    }
  }

  /** Exactly `counter` went up by one, synchronously; nothing else moved. */
  expectDelta(
    label: string,
    before: AuditSinkStats,
    counter: "accepted" | "dropped" | "invalid" | undefined,
  ): void {
    const after = this.sink.stats();
    const at = `${label}: ${JSON.stringify(before)} -> ${
      JSON.stringify(after)
    }`;
    for (const key of ["accepted", "dropped", "invalid"] as const) {
      assert.equal(
        after[key],
        before[key] + (key === counter ? 1 : 0),
        `${key}, ${at}`,
      );
    }
    // The destination is never touched inside onCall or send.
    assert.equal(after.written, before.written, `written, ${at}`);
    assert.equal(after.failed, before.failed, `failed, ${at}`);
    assert.ok(after.queued <= this.p.capacity, `queued <= capacity, ${at}`);
  }

  onCall(label: string, payload: Payload): void {
    const value = this.materialize(payload);
    const { line, fits } = this.lineOf(value);
    const before = this.sink.stats();
    const dropping = this.closed() || this.waiting > 0 ||
      before.queued >= this.p.capacity;
    const writes = this.writes.length;
    this.sink.onCall(value as CallEvent);
    this.onCalls++;
    this.mutate(value);
    assert.equal(this.writes.length, writes, `${label} wrote to destination`);
    if (dropping) {
      this.expectDelta(label, before, "dropped");
      this.dropped++;
      if (this.fallback !== undefined && this.closing === undefined) {
        this.diverted++;
        if (line === undefined) this.divertedInvalid++;
        else this.divertedLines.push(line);
      }
    } else if (line === undefined || !fits) {
      this.expectDelta(label, before, "invalid");
      this.invalid++;
    } else {
      this.expectDelta(label, before, "accepted");
      this.accepted++;
      this.acceptedLines.push(line);
    }
  }

  send(
    label: string,
    payload: Payload,
    signal: "none" | "abortable" | "aborted",
  ): void {
    const value = this.materialize(payload);
    const { line, fits } = this.lineOf(value);
    const before = this.sink.stats();
    const controller = signal === "none" ? undefined : new AbortController();
    const record: SendRecord = {
      label: `${label} (send #${this.sends.length})`,
      line,
      expect: this.closed()
        ? "closed"
        : line === undefined || !fits
        ? "invalid"
        : signal === "aborted"
        ? "aborted"
        : this.waiting === 0 && before.queued < this.p.capacity
        ? "accepted"
        : "wait",
      reason: controller && new Error(`aborted ${label}`),
      abortedWhileWaiting: false,
      settled: false,
    };
    if (signal === "aborted") controller!.abort(record.reason);
    const writes = this.writes.length;
    const sent = this.sink.send(
      value as CallEvent,
      controller && { signal: controller.signal },
    );
    // Handled at once, before any assertion can throw: nothing this test
    // creates goes unhandled. The handlers run after this method returns.
    sent.then(
      () => this.#sendSettled(record, true, undefined),
      (reason) => this.#sendSettled(record, false, reason),
    );
    this.mutate(value);
    assert.equal(this.writes.length, writes, `${label} wrote to destination`);
    this.sends.push(record);
    if (signal === "abortable") {
      this.controllers.push({ controller: controller!, send: record });
    }
    switch (record.expect) {
      case "accepted":
        this.expectDelta(label, before, "accepted");
        this.accepted++;
        this.acceptedLines.push(line!);
        break;
      case "invalid":
        this.expectDelta(label, before, "invalid");
        this.invalid++;
        break;
      case "closed":
      case "aborted":
        this.expectDelta(label, before, "dropped");
        this.dropped++;
        break;
      case "wait":
        this.expectDelta(label, before, undefined);
        this.waiting++;
        break;
    }
  }

  #sendSettled(record: SendRecord, ok: boolean, reason: unknown): void {
    record.settled = true;
    const problem = (what: string) =>
      this.problems.push(`${record.label} ${what}`);
    const closedError = (): void => {
      if (
        !(reason instanceof Error) ||
        !/^calltrail: the sink/.test(reason.message)
      ) problem(`rejected with ${String(reason)}, not the closed error`);
    };
    switch (record.expect) {
      case "accepted":
        if (!ok) problem(`was accepted but rejected: ${String(reason)}`);
        return;
      case "invalid":
        if (ok) problem("resolved for an invalid event");
        else if (
          !(reason instanceof Error) || !/^calltrail:/.test(reason.message)
        ) problem(`rejected with ${String(reason)} for an invalid event`);
        return;
      case "aborted":
        if (ok) problem("resolved with an aborted signal");
        else if (reason !== record.reason) {
          problem(`rejected with ${String(reason)}, not the abort reason`);
        }
        return;
      case "closed":
        if (ok) problem("resolved on a closed sink");
        else closedError();
        return;
      case "wait":
        this.waiting--;
        if (ok) {
          if (record.abortedWhileWaiting) problem("resolved after its abort");
          this.accepted++;
          this.acceptedLines.push(record.line!);
        } else {
          this.dropped++;
          if (record.abortedWhileWaiting) {
            if (reason !== record.reason) {
              problem(`rejected with ${String(reason)}, not the abort reason`);
            }
          } else closedError();
        }
    }
  }

  abort(label: string, index: number): void {
    // Mostly a send still waiting; else one settled already (a no-op).
    const live = this.controllers.filter((c) => !c.controller.signal.aborted);
    const waiting = live.filter((c) => !c.send.settled);
    const pool = index % 4 !== 3 && waiting.length > 0 ? waiting : live;
    if (pool.length === 0) return;
    const { controller, send } = pool[index % pool.length];
    const before = this.sink.stats();
    const waits = send.expect === "wait" && !send.settled;
    if (waits) send.abortedWhileWaiting = true;
    controller.abort(send.reason);
    this.expectDelta(label, before, waits ? "dropped" : undefined);
  }

  flush(label: string): void {
    const target = this.accepted;
    const record = {
      label: `${label} (flush #${this.flushes.length})`,
      settled: false,
    };
    this.flushes.push(record);
    this.sink.flush().then(() => {
      record.settled = true;
      const s = this.sink.stats();
      if (s.written + s.failed < target) {
        this.problems.push(
          `${record.label} resolved before the ${target} events accepted before it were written or failed: ${
            JSON.stringify(s)
          }`,
        );
      }
    }, (reason) => {
      record.settled = true;
      this.problems.push(`${record.label} rejected: ${String(reason)}`);
    });
  }

  close(label: string): void {
    const before = this.sink.stats();
    const closing = this.sink.close();
    if (this.closing === undefined) {
      this.closing = closing;
      closing.then(() => {
        this.closeResolved = true;
        const s = this.sink.stats();
        this.frozen = s;
        if (s.queued !== 0) {
          this.problems.push(
            `queued is not 0 when close() resolved: ${JSON.stringify(s)}`,
          );
        }
      }, (reason) => {
        this.problems.push(`close() rejected: ${String(reason)}`);
      });
      // Sends waiting for room are rejected (and counted) at once.
      const after = this.sink.stats();
      assert.equal(
        after.dropped,
        before.dropped + this.waiting,
        `${label}: the ${this.waiting} sends waiting for room are dropped`,
      );
    } else closing.catch(() => {}); // a new promise fails the next assertion
    const disposing = this.sink[Symbol.asyncDispose]();
    disposing.catch(() => {});
    assert.equal(closing, this.closing, "close() returns the same promise");
    assert.equal(disposing, this.closing, "asyncDispose is close()");
  }

  release(write: HeldWrite): void {
    write.state = "written";
    this.resolvedText += write.text;
    this.resolvedLines += write.lines;
    write.resolve();
  }

  releaseHeld(delay: number): void {
    const write = this.held();
    if (write === undefined) return;
    if (delay === 0) return this.release(write);
    write.state = "releasing";
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        this.release(write);
        resolve();
      }, delay)
    );
    this.timers.add(timer);
    timer.then(() => this.timers.delete(timer));
  }

  fail(): void {
    const write = this.held();
    if (write === undefined) {
      this.failNext = true;
      return;
    }
    write.state = "failed";
    this.destFailed = true;
    write.reject(new Error("injected write failure"));
  }

  flow(): void {
    this.flowing = !this.flowing;
    const write = this.held();
    if (this.flowing && write !== undefined) this.release(write);
  }

  stall(): void {
    this.stalled = true;
    const write = this.held();
    if (write !== undefined) write.state = "stalled";
  }

  /**
   * Lets every pending promise reaction run, without letting timers fire:
   * until nothing the test can see moved for 50 microtask hops.
   */
  async settle(): Promise<void> {
    let seen = "";
    for (let round = 0; round < 20; round++) {
      for (let hop = 0; hop < 50; hop++) await null;
      const now = JSON.stringify([
        this.sink.stats(),
        this.waiting,
        this.sends.filter((r) => r.settled).length,
        this.flushes.filter((r) => r.settled).length,
        this.writes.length,
        this.closeResolved,
        this.errors.length,
      ]);
      if (now === seen) return;
      seen = now;
    }
  }

  /** Once every reaction ran: the counters against the model. */
  async step(label: string): Promise<void> {
    await this.settle();
    const s = this.sink.stats();
    this.log.push(label);
    const at = `after ${label} (step ${this.log.length}): ${JSON.stringify(s)}`;
    assert.deepEqual(this.problems, [], at);
    assert.equal(s.accepted, s.written + s.failed + s.queued, at);
    assert.ok(s.queued >= 0 && s.queued <= this.p.capacity, `queued, ${at}`);
    for (
      const key of [
        "accepted",
        "dropped",
        "invalid",
        "written",
        "failed",
      ] as const
    ) assert.ok(s[key] >= this.prev[key], `${key} went down, ${at}`);
    this.prev = s;
    // The model's own count of every call, send by send.
    assert.equal(s.accepted, this.accepted, `accepted, ${at}`);
    assert.equal(s.dropped, this.dropped, `dropped, ${at}`);
    assert.equal(s.invalid, this.invalid, `invalid, ${at}`);
    assert.equal(
      s.accepted + s.dropped + s.invalid,
      this.onCalls + this.sends.length - this.waiting,
      `calls = accepted + dropped + invalid (+ ${this.waiting} waiting), ${at}`,
    );
    // A send waits only while the queue is full and the sink open.
    if (this.waiting > 0) {
      assert.ok(!this.closed(), `a send still waits on a closed sink, ${at}`);
      assert.equal(s.queued, this.p.capacity, `a send waits with room, ${at}`);
    }
    // Written: what the destination's resolved writes held.
    if (this.abandoned()) {
      assert.ok(s.written <= this.resolvedLines, `written, ${at}`);
    } else assert.equal(s.written, this.resolvedLines, `written, ${at}`);
    if (this.closeResolved) {
      const frozen = this.frozen!;
      assert.equal(s.queued, 0, `queued after close() resolved, ${at}`);
      for (const key of ["accepted", "written", "failed", "invalid"] as const) {
        assert.equal(
          s[key],
          frozen[key],
          `${key} after close() resolved, ${at}`,
        );
      }
    }
    assert.equal(s.diverted, this.diverted, `diverted, ${at}`);
    const fromFallback = this.fallback?.drops() ?? 0;
    assert.equal(
      this.sink.drops(),
      s.dropped - this.diverted + fromFallback,
      `drops(), ${at}`,
    );
    if (this.fallback !== undefined) {
      assert.deepEqual(
        this.fallback.events.map((e) => serializeCallEvent(e)),
        this.divertedLines,
        `the fallback's events, ${at}`,
      );
      assert.equal(this.fallback.stats().invalid, this.divertedInvalid, at);
    }
  }

  /** Closes the sink, keeps the destination moving, checks what is left. */
  async finish(): Promise<void> {
    this.close("close() at the end");
    const deadline = Date.now() + 10_000;
    while (!this.closeResolved) {
      const write = this.held();
      if (write !== undefined) {
        if (this.p.endWith === "fail") this.fail();
        else this.release(write);
      }
      await tick(1);
      if (Date.now() > deadline) {
        assert.fail(
          `close() did not resolve: ${JSON.stringify(this.sink.stats())}`,
        );
      }
    }
    await Promise.all(this.timers);
    // A short grace for what close() settles last.
    await tick(5);
    await this.step("close() resolved");
    const s = this.sink.stats();
    assert.deepEqual(
      this.sends.filter((r) => !r.settled).map((r) => r.label),
      [],
      "every send() settled",
    );
    assert.deepEqual(
      this.flushes.filter((r) => !r.settled).map((r) => r.label),
      [],
      "every flush() settled",
    );
    assert.equal(s.queued, 0);
    const abandoned = this.abandoned();
    if (!abandoned && !this.destFailed) {
      assert.equal(s.written, s.accepted, "all accepted events written");
    }

    // The destination got the accepted lines only, whole, in acceptance
    // order; those it acknowledged are the first `written` of them.
    const handed = this.writes.reduce((n, w) => n + w.lines, 0);
    const lines = (n: number) =>
      this.acceptedLines.slice(0, n).map((line) => line + "\n").join("");
    assert.ok(handed <= this.acceptedLines.length, "more lines than accepted");
    assert.equal(this.writes.map((w) => w.text).join(""), lines(handed));
    assert.equal(this.resolvedText, lines(this.resolvedLines));
    if (!abandoned) assert.equal(this.resolvedLines, s.written);

    // What close() did to the destination.
    if (this.p.preventClose) {
      assert.equal(this.destCloses, 0, "preventClose: never closed");
      assert.equal(this.stream.locked, false, "preventClose: released");
    } else if (!abandoned) {
      if (this.destFailed) {
        assert.equal(this.destCloses, 0, "a failed destination is not closed");
        assert.equal(this.stream.locked, false, "failed: released");
      } else assert.equal(this.destCloses, 1, "the destination is closed");
    }

    // onError heard of every invalid event, and of each failure once.
    for (const error of this.errors) {
      assert.ok(error instanceof Error, String(error));
      assert.match(error.message, /^calltrail: /);
    }
    const count = (re: RegExp) =>
      this.errors.filter((e) => re.test(e.message)).length;
    const failures = count(/the destination failed to write/);
    const gaveUp = count(/close\(\) gave up/);
    const closeFailed = count(/closing the destination failed/);
    const closeStalled = count(/did not finish closing/);
    const overflows = count(/the queue is full/);
    assert.ok(gaveUp <= 1 && failures <= 1, "each failure reported once");
    if (this.destFailed && !abandoned) assert.equal(failures, 1);
    assert.ok(this.destCloses <= 1, "the destination is closed once");
    assert.equal(
      closeFailed,
      this.destClose === "rejected" ? 1 : 0,
      "a failed close of the destination is reported",
    );
    assert.equal(
      closeStalled,
      this.destClose === "stalled" ? 1 : 0,
      "a stalled close of the destination is reported",
    );
    assert.equal(
      this.errors.length -
        (failures + gaveUp + closeFailed + closeStalled + overflows),
      s.invalid,
      "one report per invalid event",
    );
  }
}

/** A command: what it does to the world, then the checks of a step. */
class Step implements fc.AsyncCommand<World, World> {
  readonly label: string;
  readonly act: (world: World, label: string) => void | Promise<unknown>;
  constructor(
    label: string,
    act: (world: World, label: string) => void | Promise<unknown>,
  ) {
    this.label = label;
    this.act = act;
  }
  check(): boolean {
    return true;
  }
  async run(_model: World, world: World): Promise<void> {
    await this.act(world, this.label);
    await world.step(this.label);
  }
  toString(): string {
    return this.label;
  }
}

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 16,
    arbitrary: payloadArb.map((payload) =>
      new Step(
        `onCall(${showPayload(payload)})`,
        (w, label) => w.onCall(label, payload),
      )
    ),
  },
  {
    weight: 12,
    arbitrary: fc.tuple(
      payloadArb,
      fc.constantFrom("none", "abortable", "abortable", "aborted" as const),
    ).map(([payload, signal]) =>
      new Step(
        `send(${showPayload(payload)}, signal: ${signal})`,
        (w, label) => w.send(label, payload, signal),
      )
    ),
  },
  {
    // Calls faster than the destination: the queue fills and drops.
    weight: 2,
    arbitrary: fc.integer({ min: 2, max: 12 }).map((n) =>
      new Step(`burst of ${n} onCall`, (w, label) => {
        for (let i = 0; i < n; i++) {
          const event = sampleEvent({ call_id: `burst-on-${w.onCalls}` });
          w.onCall(`${label} (${i})`, { event });
        }
      })
    ),
  },
  {
    // More sends than there is room for: some wait.
    weight: 2,
    arbitrary: fc.integer({ min: 2, max: 8 }).map((n) =>
      new Step(`burst of ${n} send`, (w, label) => {
        for (let i = 0; i < n; i++) {
          const event = sampleEvent({
            call_id: `burst-send-${w.sends.length}`,
          });
          w.send(`${label} (${i})`, { event }, i % 2 ? "abortable" : "none");
        }
      })
    ),
  },
  {
    weight: 3,
    arbitrary: fc.nat(7).map((index) =>
      new Step(`abort(${index})`, (w, label) => w.abort(label, index))
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constant(new Step("flush()", (w, l) => w.flush(l))),
  },
  // close() is not awaited: it resolves later, or only at the end.
  {
    weight: 1,
    arbitrary: fc.constant(new Step("close()", (w, l) => w.close(l))),
  },
  {
    weight: 14,
    arbitrary: fc.constantFrom(0, 0, 1, 4).map((delay) =>
      new Step(`release(${delay} ms)`, (w) => w.releaseHeld(delay))
    ),
  },
  { weight: 1, arbitrary: fc.constant(new Step("fail()", (w) => w.fail())) },
  {
    weight: 1,
    arbitrary: fc.constant(new Step("flow on/off", (w) => w.flow())),
  },
  { weight: 1, arbitrary: fc.constant(new Step("stall()", (w) => w.stall())) },
  {
    weight: 8,
    arbitrary: fc.constantFrom(0, 0, 1).map((ms) =>
      new Step(`tick(${ms} ms)`, () => tick(ms))
    ),
  },
  {
    // Long enough for close() to give up on a destination that makes no
    // progress meanwhile.
    weight: 1,
    arbitrary: fc.constant(
      new Step(
        "tick(closeTimeout + 10 ms)",
        (w) => tick(w.p.closeTimeout + 10),
      ),
    ),
  },
);
