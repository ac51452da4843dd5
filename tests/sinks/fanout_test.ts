import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AuditSink,
  fanoutAuditSink,
  JsonLinesAuditSink,
  MemoryAuditSink,
} from "../../mod.ts";
import { collector, sampleEvent } from "../_helpers.ts";
import { throwables } from "../_throwables.ts";

/** A sink whose `method` throws what `make` makes. */
function throwing(
  method: "onCall" | "drops" | "flush" | "close",
  make: () => unknown,
): AuditSink {
  const sink: Record<string, unknown> = {
    onCall() {},
    drops: () => 0,
  };
  sink[method] = () => {
    throw make();
  };
  return sink as unknown as AuditSink;
}

describe("fanoutAuditSink", () => {
  test("hands every event to each sink, and sums their drops", async () => {
    const a = new MemoryAuditSink();
    const b = new MemoryAuditSink({ capacity: 1 });
    const out = collector();
    const stream = new JsonLinesAuditSink(out.stream);
    const sink = fanoutAuditSink(a, b, stream);
    sink.onCall(sampleEvent({ call_id: "1" }));
    sink.onCall(sampleEvent({ call_id: "2" }));
    assert.equal(a.events.length, 2);
    assert.equal(b.events.length, 1);
    assert.equal(sink.drops(), 1);
    await sink.close();
    assert.equal(out.lines().length, 2);
    assert.equal(out.closed(), true);
  });

  test("a sink that throws does not stop the others", () => {
    const thrower: AuditSink = {
      onCall() {
        throw new Error("bad sink");
      },
      drops: () => 0,
    };
    const memory = new MemoryAuditSink();
    const original = console.error;
    const reported: unknown[] = [];
    console.error = (...args: unknown[]) => void reported.push(args[0]);
    try {
      fanoutAuditSink(thrower, memory).onCall(sampleEvent());
    } finally {
      console.error = original;
    }
    assert.equal(memory.events.length, 1);
    assert.match(String(reported[0]), /bad sink/);
  });

  test("a member that throws any value from onCall: the others get the event, the fan-out counts it lost and tells onError", () => {
    for (const [name, make] of throwables()) {
      const before = new MemoryAuditSink();
      const after = new MemoryAuditSink();
      const errors: Error[] = [];
      const sink = fanoutAuditSink(
        [before, throwing("onCall", make), after],
        { onError: (error) => void errors.push(error) },
      );
      assert.doesNotThrow(() => sink.onCall(sampleEvent()), name);
      assert.doesNotThrow(() => sink.onCall(sampleEvent()), name);
      assert.equal(before.events.length, 2, name);
      assert.equal(after.events.length, 2, `${name}: the next member`);
      assert.equal(sink.drops(), 2, name);
      assert.equal(errors.length, 2, name);
      assert.match(
        errors[0].message,
        /^calltrail: sink 1 of fanoutAuditSink threw from onCall \(.*\); its event was lost/,
      );
    }
  });

  test("a member whose drops() throws: the others are summed, onError is told", () => {
    for (const [name, make] of throwables()) {
      const errors: Error[] = [];
      const small = new MemoryAuditSink({ capacity: 0 });
      const sink = fanoutAuditSink([throwing("drops", make), small], {
        onError: (error) => void errors.push(error),
      });
      sink.onCall(sampleEvent());
      assert.equal(sink.drops(), 1, name);
      assert.equal(errors.length, 1, name);
      assert.match(errors[0].message, /threw from drops\(\)/);
    }
  });

  test("a member whose flush or close throws: the others still flush and close, and it resolves", async () => {
    for (const method of ["flush", "close"] as const) {
      for (const [name, make] of throwables()) {
        const out = collector();
        const stream = new JsonLinesAuditSink(out.stream);
        const errors: Error[] = [];
        const sink = fanoutAuditSink([throwing(method, make), stream], {
          onError: (error) => void errors.push(error),
        });
        sink.onCall(sampleEvent());
        await sink[method]();
        assert.equal(out.lines().length, 1, `${name} from ${method}`);
        assert.equal(errors.length, 1, `${name} from ${method}`);
        assert.match(errors[0].message, new RegExp(`failed to ${method}`));
        await stream.close();
      }
    }
  });

  test("send reaches sinks with send, and onCall for the others", async () => {
    const memory = new MemoryAuditSink();
    const out = collector();
    const stream = new JsonLinesAuditSink(out.stream);
    const sink = fanoutAuditSink(memory, stream);
    await sink.send(sampleEvent());
    assert.equal(memory.events.length, 1);
    assert.equal(stream.stats().accepted, 1);
    await sink.flush();
    assert.equal(out.lines().length, 1);
    await stream.close();
    await assert.rejects(sink.send(sampleEvent()), /closed/);
  });

  test("Symbol.asyncDispose closes every sink", async () => {
    const out = collector();
    const sink = fanoutAuditSink(new JsonLinesAuditSink(out.stream));
    await sink[Symbol.asyncDispose]();
    assert.equal(out.closed(), true);
  });

  test("rejects what is not a sink, naming its position", () => {
    assert.throws(
      () => fanoutAuditSink(new MemoryAuditSink(), {} as AuditSink),
      /argument 1 is an object, which has no onCall method/,
    );
    assert.throws(
      () => fanoutAuditSink([new MemoryAuditSink(), null as never]),
      /sinks\[1\] is null/,
    );
  });

  test("rejects an onError that is not a function", () => {
    assert.throws(
      () => fanoutAuditSink([], { onError: "log" as never }),
      /onError option of fanoutAuditSink must be a function, got the string "log"/,
    );
  });
});
