import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type CallEvent, MemoryAuditSink } from "../../mod.ts";
import { sampleEvent, stats } from "../_helpers.ts";

describe("MemoryAuditSink", () => {
  test("keeps a snapshot of each event with only the wire keys", () => {
    const sink = new MemoryAuditSink();
    const event = { ...sampleEvent(), args: { secret: 1 } };
    sink.onCall(event);
    event.tool_id = "changed";
    event.granted_capabilities.push("later");
    assert.deepEqual(sink.events, [sampleEvent()]);
    assert.equal("args" in sink.events[0], false);
  });

  test("counts invalid events and reports them, never throwing", () => {
    const errors: Error[] = [];
    const sink = new MemoryAuditSink({ onError: (e) => void errors.push(e) });
    for (const bad of [null, 1, {}, sampleEvent({ duration_ms: NaN })]) {
      sink.onCall(bad as CallEvent);
    }
    assert.equal(sink.events.length, 0);
    assert.equal(sink.stats().invalid, 4);
    assert.equal(errors.length, 4);
    assert.match(errors[3].message, /"duration_ms"/);
  });

  test("drops and counts beyond its capacity", () => {
    const sink = new MemoryAuditSink({ capacity: 2 });
    for (let i = 0; i < 5; i++) sink.onCall(sampleEvent({ call_id: `c${i}` }));
    assert.deepEqual(sink.events.map((e) => e.call_id), ["c0", "c1"]);
    assert.equal(sink.drops(), 3);
    assert.deepEqual(
      sink.stats(),
      stats({ accepted: 2, written: 2, dropped: 3 }),
    );
  });

  test("clear forgets the events and makes room", () => {
    const sink = new MemoryAuditSink({ capacity: 1 });
    sink.onCall(sampleEvent());
    sink.clear();
    assert.equal(sink.events.length, 0);
    sink.onCall(sampleEvent({ call_id: "again" }));
    assert.equal(sink.events[0].call_id, "again");
    assert.equal(sink.stats().accepted, 2);
  });

  test("rejects a bad capacity", () => {
    assert.throws(() => new MemoryAuditSink({ capacity: -1 }), RangeError);
  });
});
