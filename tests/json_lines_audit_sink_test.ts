import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AuditSinkStats,
  type CallEvent,
  JsonLinesAuditSink,
  type JsonLinesAuditSinkOptions,
  MemoryAuditSink,
  parseCallEvent,
  serializeCallEvent,
} from "../mod.ts";
import { type Batch, lineStream } from "../_line_destination.ts";
import { collector, sampleEvent, stats, tick } from "./_helpers.ts";

/** A destination whose writes wait until the test settles them. */
function gated() {
  const pending: {
    chunk: Uint8Array;
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  const written: Uint8Array[] = [];
  const decoder = new TextDecoder();
  const stream = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        pending.push({
          chunk,
          resolve: () => {
            written.push(chunk);
            resolve();
          },
          reject,
        });
      }),
  });
  return {
    stream,
    pending,
    /** The oldest pending write's chunk, once there is one. */
    async nextWrite(): Promise<Uint8Array> {
      while (pending.length === 0) await tick(1);
      return pending[0].chunk;
    },
    /** Settles the oldest pending write, then lets the sink react. */
    async release(): Promise<void> {
      while (pending.length === 0) await tick(1);
      pending.shift()!.resolve();
      await tick(1);
    },
    /** Settles every write, as they come, until `promise` settles. */
    async releaseUntil(promise: Promise<unknown>): Promise<void> {
      let settled = false;
      promise.then(() => settled = true, () => settled = true);
      while (!settled) {
        pending.shift()?.resolve();
        await tick(1);
      }
      await promise;
    },
    lines: () =>
      written.map((c) => decoder.decode(c)).join("").split("\n").filter(
        Boolean,
      ),
  };
}

const event = (i: number): CallEvent =>
  sampleEvent({ call_id: `call-${String(i).padStart(6, "0")}` });

function assertBalanced(s: AuditSinkStats): void {
  assert.equal(s.accepted, s.written + s.failed + s.queued, JSON.stringify(s));
}

const silent = { onError: () => {} };

describe("JsonLinesAuditSink", () => {
  test("writes each accepted event as one line, in order", async () => {
    const out = collector();
    const sink = new JsonLinesAuditSink(out.stream);
    for (let i = 0; i < 1000; i++) sink.onCall(event(i));
    await sink.close();
    const lines = out.lines();
    assert.equal(lines.length, 1000);
    lines.forEach((line, i) => {
      assert.equal(line, serializeCallEvent(event(i)));
      assert.deepEqual(parseCallEvent(line), event(i));
    });
    assert.ok(out.text().endsWith("\n"));
    assert.deepEqual(sink.stats(), stats({ accepted: 1000, written: 1000 }));
    assert.equal(sink.drops(), 0);
    assert.equal(out.closed(), true);
  });

  test("writes lines in batches of whole lines, not one chunk per event", async () => {
    const out = collector();
    const sink = new JsonLinesAuditSink(out.stream, { capacity: 10_000 });
    for (let i = 0; i < 5000; i++) sink.onCall(event(i));
    await sink.close();
    assert.ok(out.chunks.length < 100, `${out.chunks.length} chunks`);
    const decoder = new TextDecoder();
    for (const chunk of out.chunks) {
      assert.ok(decoder.decode(chunk).endsWith("\n"), "a chunk ends a line");
    }
    assert.equal(out.lines().length, 5000);
  });

  test("writes the event as it was when onCall was called", async () => {
    const out = collector();
    const sink = new JsonLinesAuditSink(out.stream);
    const reused = sampleEvent();
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) {
      reused.call_id = `reused-${i}`;
      reused.granted_capabilities.push(`cap-${i}`);
      expected.push(serializeCallEvent(reused));
      sink.onCall(reused);
    }
    reused.tool_id = "changed later";
    await sink.close();
    assert.deepEqual(out.lines(), expected);
  });

  test("while a write is under way, lines gather into one batch", async () => {
    const dest = gated();
    const sink = new JsonLinesAuditSink(dest.stream);
    sink.onCall(event(0));
    await dest.nextWrite();
    for (let i = 1; i < 100; i++) {
      sink.onCall(event(i));
      if (i % 10 === 0) await tick(2); // turns of the event loop pass
    }
    assert.equal(dest.pending.length, 1, "one write at a time");
    await dest.release();
    const next = new TextDecoder().decode(await dest.nextWrite());
    assert.equal(
      next.split("\n").length - 1,
      99,
      "the 99 later lines, in one write",
    );
    await dest.releaseUntil(sink.close());
    assert.equal(dest.lines().length, 100);
  });

  test("never touches the destination inside onCall", async () => {
    let writes = 0;
    const sink = new JsonLinesAuditSink(
      new WritableStream({ write: () => void writes++ }),
      { capacity: 4, ...silent },
    );
    // Once the streams have started, a write reaches the destination at once.
    await tick();
    // The fourth event fills the queue, which seals the batch at once.
    for (let i = 0; i < 100; i++) sink.onCall(event(i));
    assert.equal(writes, 0, "no write inside onCall");
    await sink.flush();
    assert.equal(writes, 1, "the batch was written after onCall returned");
    await sink.close();
  });

  describe("when the queue is full", () => {
    test("drops and counts, holding at most capacity events", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream, {
        capacity: 8,
        ...silent,
      });
      for (let i = 0; i < 20; i++) {
        sink.onCall(event(i));
        const stats = sink.stats();
        assertBalanced(stats);
        assert.ok(stats.queued <= 8);
      }
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 8, dropped: 12, queued: 8 }),
      );
      assert.equal(sink.drops(), 12);
      await dest.release();
      assert.equal(sink.stats().written, 8);
      sink.onCall(event(99));
      assert.equal(sink.stats().accepted, 9, "room again after the write");
      await dest.releaseUntil(sink.close());
      assert.deepEqual(dest.lines(), [
        ...Array.from({ length: 8 }, (_, i) => serializeCallEvent(event(i))),
        serializeCallEvent(event(99)),
      ]);
    });

    test("hands overflow to the fallback, which keeps it", async () => {
      const dest = gated();
      const fallback = new MemoryAuditSink();
      const sink = new JsonLinesAuditSink(dest.stream, {
        capacity: 2,
        fallback,
      });
      for (let i = 0; i < 5; i++) sink.onCall(event(i));
      assert.deepEqual(
        fallback.events.map((e) => e.call_id),
        ["call-000002", "call-000003", "call-000004"],
      );
      assert.equal(sink.stats().dropped, 3, "the queue did not take them");
      assert.equal(sink.drops(), 0, "but none was lost");
      await dest.releaseUntil(sink.close());
    });

    test("tells onError how many events were lost, once for back-to-back overflows", async () => {
      const dest = gated();
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(dest.stream, {
        capacity: 2,
        onError: (error) => void errors.push(error),
      });
      for (let i = 0; i < 5; i++) sink.onCall(event(i));
      assert.equal(errors.length, 0, "told at the end of the burst");
      await tick(1);
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        /queue is full \(capacity 2\), so events are dropped: 3 since the last report, 3 in all/,
      );
      await dest.release();
      for (let i = 5; i < 10; i++) sink.onCall(event(i));
      await tick(1);
      assert.equal(sink.stats().dropped, 6);
      assert.equal(errors.length, 1, "at most one report a second");
      await dest.releaseUntil(sink.close());
    });

    test("does not report overflow that the fallback takes", async () => {
      const dest = gated();
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(dest.stream, {
        capacity: 1,
        fallback: new MemoryAuditSink(),
        onError: (error) => void errors.push(error),
      });
      for (let i = 0; i < 5; i++) sink.onCall(event(i));
      assert.equal(sink.stats().dropped, 4);
      assert.deepEqual(errors, []);
      await dest.releaseUntil(sink.close());
    });

    test("counts the fallback's own drops as lost", () => {
      const fallback = new MemoryAuditSink({ capacity: 1 });
      const sink = new JsonLinesAuditSink(gated().stream, {
        capacity: 1,
        fallback,
      });
      for (let i = 0; i < 4; i++) sink.onCall(event(i));
      assert.equal(fallback.events.length, 1);
      assert.equal(sink.drops(), 2);
    });

    test("send waits for room and keeps the order of acceptance", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream, {
        capacity: 2,
        ...silent,
      });
      const sends = Array.from({ length: 7 }, (_, i) => sink.send(event(i)));
      assert.equal(sink.stats().accepted, 2);
      sink.onCall(event(100)); // no cutting in line while sends wait
      assert.equal(sink.stats().dropped, 1);
      while (sink.stats().accepted < 7) await dest.release();
      await Promise.all(sends);
      await dest.releaseUntil(sink.close());
      assert.deepEqual(
        dest.lines().map((line) => JSON.parse(line).call_id),
        Array.from({ length: 7 }, (_, i) => event(i).call_id),
      );
      assert.equal(sink.drops(), 1);
    });

    test("send rejects with the signal's reason when it aborts", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream, { capacity: 1 });
      sink.onCall(event(0));
      const controller = new AbortController();
      const waiting = sink.send(event(1), { signal: controller.signal });
      const reason = new Error("caller gave up");
      controller.abort(reason);
      await assert.rejects(waiting, (error) => error === reason);
      assert.equal(sink.stats().dropped, 1);
      await assert.rejects(
        sink.send(event(2), { signal: AbortSignal.abort() }),
        { name: "AbortError" },
      );
      assert.equal(sink.stats().dropped, 2);
      await dest.release();
      assert.equal(sink.stats().accepted, 1, "the aborted sends never entered");
      await sink.close();
    });

    test("close rejects the sends still waiting, counting them dropped", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream, { capacity: 1 });
      await sink.send(event(0));
      const waiting = [sink.send(event(1)), sink.send(event(2))];
      const closing = sink.close();
      for (const send of waiting) {
        await assert.rejects(send, /closed/);
      }
      await dest.release();
      await closing;
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 1, written: 1, dropped: 2 }),
      );
    });
  });

  describe("send", () => {
    test("accepts at once when there is room", async () => {
      const out = collector();
      const sink = new JsonLinesAuditSink(out.stream);
      await sink.send(event(1));
      assert.equal(sink.stats().accepted, 1);
      await sink.close();
      assert.equal(out.lines().length, 1);
    });

    test("rejects an invalid event and counts it invalid", async () => {
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(collector().stream, {
        onError: (error) => void errors.push(error),
      });
      await assert.rejects(
        sink.send(sampleEvent({ duration_ms: NaN })),
        /"duration_ms"/,
      );
      assert.equal(sink.stats().invalid, 1);
      assert.equal(errors.length, 1);
      await sink.close();
    });

    test("rejects a signal that is not an AbortSignal, counting the event dropped", async () => {
      const sink = new JsonLinesAuditSink(gated().stream, { capacity: 1 });
      sink.onCall(event(0));
      await assert.rejects(
        sink.send(event(1), { signal: {} as AbortSignal }),
        /AbortSignal/,
      );
      assert.equal(sink.stats().dropped, 1);
    });

    test("rejects after close and counts the event dropped", async () => {
      const sink = new JsonLinesAuditSink(collector().stream);
      await sink.close();
      await assert.rejects(sink.send(event(1)), /close\(\) was called/);
      assert.equal(sink.stats().dropped, 1);
      assert.equal(sink.drops(), 1);
    });
  });

  describe("invalid events", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cyclicOutcome: Record<string, unknown> = { ...sampleEvent() };
    cyclicOutcome.outcome = cyclicOutcome;
    const throwing = sampleEvent();
    Object.defineProperty(throwing, "tool_id", {
      get() {
        throw new Error("getter exploded");
      },
    });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const cases: [string, unknown][] = [
      ["null", null],
      ["undefined", undefined],
      ["a number", 42],
      ["a string", "event"],
      ["a symbol", Symbol("event")],
      ["a function", () => {}],
      ["an empty object", {}],
      ["an array", [sampleEvent()]],
      ["a missing field", { ...sampleEvent(), tier: undefined }],
      ["a BigInt", sampleEvent({ duration_ms: 10n as never })],
      ["NaN", sampleEvent({ duration_ms: NaN })],
      ["Infinity", sampleEvent({ duration_ms: Infinity })],
      ["a cycle", cyclic],
      ["a cycle through outcome", cyclicOutcome],
      ["a getter that throws", throwing],
      ["a revoked proxy", revoked.proxy],
      [
        "a proxy that throws",
        new Proxy(sampleEvent(), {
          get() {
            throw new RangeError("trap");
          },
        }),
      ],
    ];
    for (const [name, value] of cases) {
      test(`${name} is counted invalid, reported, and never thrown`, async () => {
        const errors: Error[] = [];
        const out = collector();
        const sink = new JsonLinesAuditSink(out.stream, {
          onError: (error) => void errors.push(error),
        });
        sink.onCall(value as CallEvent);
        assert.equal(sink.stats().invalid, 1);
        assert.equal(sink.stats().accepted, 0);
        assert.equal(errors.length, 1);
        assert.ok(errors[0] instanceof Error);
        assert.match(errors[0].message, /^calltrail: /);
        await sink.close();
        assert.equal(out.text(), "");
      });
    }

    test("the error names the field", () => {
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(collector().stream, {
        onError: (error) => void errors.push(error),
      });
      sink.onCall(sampleEvent({ duration_ms: 10n as never }));
      sink.onCall({ ...sampleEvent(), tier: undefined } as never);
      sink.onCall(throwing);
      assert.match(errors[0].message, /"duration_ms".*BigInt/);
      assert.match(errors[1].message, /"tier"/);
      assert.match(errors[2].message, /getter exploded/);
    });

    test("a line above maxLineBytes, counted in UTF-8 bytes, is invalid", async () => {
      const errors: Error[] = [];
      const out = collector();
      const base = serializeCallEvent(
        sampleEvent({ outcome: { kind: "invalid_args", message: "" } }),
      ).length;
      const sink = new JsonLinesAuditSink(out.stream, {
        maxLineBytes: base + 4,
        onError: (error) => void errors.push(error),
      });
      const withMessage = (message: string) =>
        sampleEvent({ outcome: { kind: "invalid_args", message } });
      sink.onCall(withMessage("abcd")); // exactly the limit
      sink.onCall(withMessage("ab€")); // 2 + 3 bytes: one above
      sink.onCall(withMessage("😀")); // 4 bytes
      await sink.close();
      assert.equal(sink.stats().accepted, 2);
      assert.equal(sink.stats().invalid, 1);
      assert.ok(errors[0] instanceof RangeError);
      assert.match(errors[0].message, /maxLineBytes/);
      assert.equal(out.lines().length, 2);
    });

    test("the default limit is 1 MiB", async () => {
      const sink = new JsonLinesAuditSink(collector().stream, silent);
      const mib = "x".repeat(1024 * 1024);
      sink.onCall(
        sampleEvent({ outcome: { kind: "invalid_args", message: mib } }),
      );
      sink.onCall(
        sampleEvent({
          outcome: { kind: "invalid_args", message: mib.slice(0, 1000) },
        }),
      );
      await sink.close();
      assert.equal(sink.stats().invalid, 1);
      assert.equal(sink.stats().written, 1);
    });

    test("an onError that throws does not escape", () => {
      const sink = new JsonLinesAuditSink(collector().stream, {
        onError: () => {
          throw new Error("bad handler");
        },
      });
      sink.onCall(null as never);
      assert.equal(sink.stats().invalid, 1);
    });

    test("the default onError writes at most one line a second", async () => {
      const original = console.error;
      const lines: unknown[] = [];
      console.error = (...args: unknown[]) => void lines.push(args);
      try {
        const sink = new JsonLinesAuditSink(collector().stream);
        for (let i = 0; i < 100; i++) sink.onCall(null as never);
        await sink.close();
      } finally {
        console.error = original;
      }
      assert.equal(lines.length, 1);
      assert.match(String((lines[0] as unknown[])[0]), /calltrail: .*null/);
    });
  });

  describe("flush", () => {
    test("resolves once the accepted events' writes resolved", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream);
      for (let i = 0; i < 3; i++) sink.onCall(event(i));
      let flushed = false;
      const flushing = sink.flush().then(() => void (flushed = true));
      await tick();
      assert.equal(flushed, false, "the write is still pending");
      await dest.release();
      await flushing;
      assert.equal(dest.lines().length, 3);
      assert.equal(sink.stats().written, 3);
      await sink.close();
    });

    test("resolves at once when nothing is queued, without writing", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream);
      let flushed = false;
      const flushing = sink.flush().then(() => void (flushed = true));
      await tick(1);
      assert.equal(flushed, true, "nothing to wait for");
      assert.equal(dest.pending.length, 0, "no empty write");
      await flushing;
      await sink.close();
    });
  });

  describe("close", () => {
    test("is idempotent and closes the destination once", async () => {
      let closes = 0;
      const sink = new JsonLinesAuditSink(
        new WritableStream({ close: () => void closes++ }),
      );
      sink.onCall(event(1));
      const first = sink.close();
      assert.equal(sink.close(), first);
      await first;
      await sink.close();
      assert.equal(closes, 1);
      assert.equal(sink.stats().queued, 0);
    });

    test("drops and counts what comes after, without the fallback", async () => {
      const fallback = new MemoryAuditSink();
      const sink = new JsonLinesAuditSink(collector().stream, { fallback });
      const closing = sink.close();
      sink.onCall(event(1));
      await closing;
      sink.onCall(event(2));
      assert.equal(sink.stats().dropped, 2);
      assert.equal(sink.drops(), 2);
      assert.equal(fallback.events.length, 0);
    });

    test("with preventClose, leaves the destination open and unlocked", async () => {
      const out = collector();
      const sink = new JsonLinesAuditSink(out.stream, { preventClose: true });
      sink.onCall(event(1));
      await sink.close();
      assert.equal(out.closed(), false);
      assert.equal(out.stream.locked, false);
      const writer = out.stream.getWriter();
      await writer.write(new TextEncoder().encode("after\n"));
      assert.deepEqual(out.lines(), [serializeCallEvent(event(1)), "after"]);
    });

    test("Symbol.asyncDispose (await using) closes the sink", async () => {
      const out = collector();
      const sink = new JsonLinesAuditSink(out.stream);
      sink.onCall(event(1));
      // What `await using` calls; the syntax itself needs Node 24.
      await sink[Symbol.asyncDispose]();
      assert.equal(out.closed(), true);
      assert.equal(out.lines().length, 1);
      assert.equal(sink.close(), sink.close());
    });

    test("a failing close of the destination is reported, not thrown", async () => {
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(
        new WritableStream({
          close() {
            throw new Error("close exploded");
          },
        }),
        { onError: (error) => void errors.push(error) },
      );
      await sink.close();
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /close exploded/);
    });
  });

  describe("a failing destination", () => {
    test("counts the batch failed, reports it, and takes no more events", async () => {
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(
        new WritableStream({
          write() {
            throw new Error("disk on fire");
          },
        }),
        { onError: (error) => void errors.push(error) },
      );
      for (let i = 0; i < 5; i++) sink.onCall(event(i));
      await sink.flush();
      assert.deepEqual(sink.stats(), stats({ accepted: 5, failed: 5 }));
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /disk on fire/);
      assert.match(errors[0].message, /5 events/);
      sink.onCall(event(6));
      await assert.rejects(sink.send(event(7)), /destination failed/);
      assert.equal(sink.stats().dropped, 2);
      await sink.close();
      assertBalanced(sink.stats());
    });

    test("hands later events to the fallback", async () => {
      const fallback = new MemoryAuditSink();
      const sink = new JsonLinesAuditSink(
        new WritableStream({
          write() {
            throw new Error("gone");
          },
        }),
        { fallback, ...silent },
      );
      sink.onCall(event(1));
      await sink.flush();
      sink.onCall(event(2));
      assert.deepEqual(fallback.events.map((e) => e.call_id), [
        event(2).call_id,
      ]);
      assert.equal(sink.drops(), 0);
      await sink.close();
    });

    test("fails queued batches and rejects waiting sends", async () => {
      const dest = gated();
      const sink = new JsonLinesAuditSink(dest.stream, {
        capacity: 2,
        ...silent,
      });
      sink.onCall(event(0));
      sink.onCall(event(1));
      const waiting = sink.send(event(2));
      while (dest.pending.length === 0) await tick(1);
      dest.pending.shift()!.reject(new Error("broken pipe"));
      await assert.rejects(waiting, /broken pipe/);
      await sink.close();
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 2, dropped: 1, failed: 2 }),
      );
    });
  });

  describe("a destination that fails one batch and goes on", () => {
    test("counts that batch's failed events, reports it, and writes the next", async () => {
      const batches: Batch[] = [];
      const error = new Error("the receiver refused one request");
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(
        lineStream({
          write(batch) {
            batches.push(batch);
            return batches.length === 1 ? { failed: 2, error } : undefined;
          },
          close() {},
          release() {},
          abort() {},
        }),
        { onError: (e) => void errors.push(e) },
      );
      sink.onCall(event(0));
      sink.onCall(event(1));
      await sink.flush();
      sink.onCall(event(2));
      await sink.send(event(3));
      await sink.close();
      assert.deepEqual(errors, [error]);
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 4, written: 2, failed: 2 }),
      );
      assert.equal(batches.length, 2);
      assert.equal(batches[1].count, 2);
    });
  });

  describe("a destination that cannot take writes", () => {
    const cases: [string, () => WritableStream<Uint8Array>][] = [
      ["a closed stream", () => {
        const stream = new WritableStream<Uint8Array>();
        const writer = stream.getWriter();
        writer.close();
        writer.releaseLock();
        return stream;
      }],
      ["an errored stream", () =>
        new WritableStream<Uint8Array>({
          start(controller) {
            controller.error(new Error("errored before use"));
          },
        })],
      ["a stream whose second write fails mid-run", () => {
        let writes = 0;
        return new WritableStream<Uint8Array>({
          write() {
            if (++writes === 2) throw new Error("failed mid-run");
          },
        });
      }],
    ];
    for (const [name, make] of cases) {
      test(`${name}: failed writes count, later events drop, onError is told once, close settles`, async () => {
        const errors: Error[] = [];
        const sink = new JsonLinesAuditSink(make(), {
          capacity: 8,
          onError: (error) => void errors.push(error),
        });
        let calls = 0;
        // Batches until the destination has failed, then 1,000 more calls.
        for (let round = 0; round < 4 && sink.stats().failed === 0; round++) {
          for (let i = 0; i < 3; i++) sink.onCall(event(calls++));
          await sink.flush();
        }
        assert.ok(sink.stats().failed > 0, JSON.stringify(sink.stats()));
        for (let i = 0; i < 1000; i++) {
          assert.equal(sink.onCall(event(calls++)), undefined);
        }
        await assert.rejects(sink.send(event(calls++)), /destination failed/);
        await sink.close();
        const s = sink.stats();
        assert.equal(s.queued, 0);
        assertBalanced(s);
        assert.equal(s.accepted + s.dropped + s.invalid, calls);
        assert.equal(s.dropped, 1001);
        assert.equal(sink.drops(), 1001);
        assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
        assert.match(errors[0].message, /failed to write \d+ events/);
      });
    }
  });

  describe("a destination that stalls for ever", () => {
    /**
     * A sink over a stream that takes its first write and never settles it,
     * with `options` and its reports collected.
     */
    function stalledSink(options: JsonLinesAuditSinkOptions) {
      let aborted: unknown = undefined;
      let writes = 0;
      const stream = new WritableStream<Uint8Array>({
        write: () => {
          writes++;
          return new Promise<void>(() => {});
        },
        abort: (reason) => void (aborted = reason),
      });
      const errors: Error[] = [];
      const sink = new JsonLinesAuditSink(stream, {
        ...options,
        onError: (error) => void errors.push(error),
      });
      return {
        stream,
        sink,
        errors,
        writes: () => writes,
        aborted: () => aborted,
      };
    }

    test("onCall never waits: the queue fills, then drops count, and onError is told once", async () => {
      const { sink, errors, ...dest } = stalledSink({
        capacity: 16,
        closeTimeout: 20,
      });
      for (let i = 0; i < 16; i++) sink.onCall(event(i));
      await tick(1);
      for (let i = 16; i < 5000; i++) sink.onCall(event(i));
      assert.equal(dest.writes(), 1);
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 16, dropped: 4984, queued: 16 }),
      );
      await tick(1);
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        /queue is full \(capacity 16\).*: 4984 since the last report/,
      );
      await sink.close();
    });

    test("close() gives up after closeTimeout: queued events count as failed, flush settles, onError is told", async () => {
      const { sink, errors } = stalledSink({ capacity: 4, closeTimeout: 20 });
      for (let i = 0; i < 4; i++) sink.onCall(event(i));
      const waiting = sink.send(event(4));
      waiting.catch(() => {});
      const flushed = sink.flush();
      await sink.close();
      await flushed;
      await assert.rejects(waiting, /close\(\) was called/);
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 4, failed: 4, dropped: 1 }),
      );
      assert.equal(sink.drops(), 1);
      const gaveUp = errors.filter((e) => /no progress/.test(e.message));
      assert.equal(gaveUp.length, 1, errors.map((e) => e.message).join("\n"));
      assert.match(gaveUp[0].message, /closeTimeout \(20 ms\)/);
      assert.match(gaveUp[0].message, /4 events still queued/);
      await sink.flush();
      sink.onCall(event(5));
      assert.equal(sink.stats().dropped, 2);
    });

    test("close() gives up on a close of the destination that never ends", async () => {
      const errors: Error[] = [];
      const chunks: Uint8Array[] = [];
      const sink = new JsonLinesAuditSink(
        new WritableStream<Uint8Array>({
          write: (chunk) => void chunks.push(chunk),
          close: () => new Promise<void>(() => {}),
        }),
        { closeTimeout: 20, onError: (error) => void errors.push(error) },
      );
      for (let i = 0; i < 3; i++) sink.onCall(event(i));
      await sink.close();
      assert.deepEqual(sink.stats(), stats({ accepted: 3, written: 3 }));
      assert.equal(chunks.length, 1);
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /did not finish closing/);
    });

    test("a slow destination that keeps writing is waited for, past closeTimeout", async () => {
      let writes = 0;
      const sink = new JsonLinesAuditSink(
        new WritableStream<Uint8Array>({
          write: () =>
            new Promise<void>((resolve) => {
              writes++;
              setTimeout(resolve, 5);
            }),
        }),
        { capacity: 1, closeTimeout: 400, ...silent },
      );
      // One event a batch: 120 writes of 5 ms or more, well past 400 ms.
      for (let i = 0; i < 120; i++) await sink.send(event(i));
      await sink.close();
      assert.deepEqual(sink.stats(), stats({ accepted: 120, written: 120 }));
      assert.equal(writes, 120);
    });

    test("with preventClose, close() gives up without aborting the stream", async () => {
      const { sink, errors, ...dest } = stalledSink({
        closeTimeout: 10,
        preventClose: true,
      });
      sink.onCall(event(0));
      await sink.close();
      assert.equal(sink.stats().failed, 1);
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /was released \(preventClose\)/);
      assert.equal(dest.stream.locked, false);
      assert.equal(dest.aborted(), undefined);
    });
  });

  describe("construction", () => {
    for (const capacity of [0, -1, 1.5, NaN, "8", 2 ** 53]) {
      test(`rejects capacity ${String(capacity)}, naming the option`, () => {
        assert.throws(
          () =>
            new JsonLinesAuditSink(new WritableStream(), {
              capacity: capacity as number,
            }),
          (error: Error) =>
            error instanceof RangeError && /capacity/.test(error.message),
        );
      });
    }

    test("rejects a closeTimeout that is not a number > 0", () => {
      for (const closeTimeout of [0, -1, NaN, "10"]) {
        assert.throws(
          () =>
            new JsonLinesAuditSink(new WritableStream(), {
              closeTimeout: closeTimeout as number,
            }),
          /closeTimeout option must be a number of milliseconds > 0/,
        );
      }
      for (const closeTimeout of [0.5, 1, 2 ** 40, Infinity]) {
        new JsonLinesAuditSink(new WritableStream(), { closeTimeout });
      }
    });

    test("rejects a bad maxLineBytes", () => {
      assert.throws(
        () => new JsonLinesAuditSink(new WritableStream(), { maxLineBytes: 0 }),
        /maxLineBytes/,
      );
    });

    test("rejects a locked stream and what is not a stream", () => {
      const stream = new WritableStream();
      stream.getWriter();
      assert.throws(() => new JsonLinesAuditSink(stream), /locked/);
      assert.throws(
        () => new JsonLinesAuditSink({} as never),
        /WritableStream/,
      );
    });

    test("rejects a fallback that is not a sink", () => {
      assert.throws(
        () =>
          new JsonLinesAuditSink(new WritableStream(), {
            fallback: {} as never,
          }),
        /fallback/,
      );
    });
  });
});
