import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AuditSink,
  fanoutAuditSink,
  JsonLinesAuditSink,
  MemoryAuditSink,
} from "../../mod.ts";
import { collector, sampleEvent } from "../_helpers.ts";

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
      /argument 1/,
    );
  });
});
