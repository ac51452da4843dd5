import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCallEvent, serializeCallEvent, startCall } from "../mod.ts";

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("startCall", () => {
  test("makes a ULID call_id", () => {
    const call = startCall({ tool_id: "ref:echo.say", tier: "hot" });
    assert.match(call.call_id, CROCKFORD);
    // The first 10 characters encode the time in milliseconds.
    let ms = 0;
    for (const char of call.call_id.slice(0, 10)) {
      ms = ms * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(char);
    }
    assert.ok(Math.abs(ms - Date.now()) < 60_000, `${ms} is about now`);
  });

  test("makes unique call_ids that sort in the order they were made", () => {
    const ids = Array.from(
      { length: 20_000 },
      () => startCall({ tool_id: "t", tier: "hot" }).call_id,
    );
    assert.equal(new Set(ids).size, ids.length);
    const sorted = [...ids].sort();
    assert.deepEqual(sorted, ids);
  });

  test("keeps a call_id it is given", () => {
    const call = startCall({ call_id: "mine", tool_id: "t", tier: "hot" });
    assert.equal(call.call_id, "mine");
    assert.equal(call.finish({ kind: "success" }).call_id, "mine");
  });

  test("finish returns the event, with the start's fields", () => {
    const call = startCall({
      tool_id: "ref:fs.read",
      caller_id: "agent",
      granted_capabilities: ["fs.read", "fs.list"],
      tier: "warm",
      dry_run: true,
    });
    assert.equal(call.finished, false);
    const event = call.finish({ kind: "tool_not_found" });
    assert.equal(call.finished, true);
    assert.equal(event.tool_id, "ref:fs.read");
    assert.equal(event.caller_id, "agent");
    assert.deepEqual(event.granted_capabilities, ["fs.list", "fs.read"]);
    assert.equal(event.dry_run, true);
    assert.deepEqual(event.outcome, { kind: "tool_not_found" });
    assert.deepEqual(parseCallEvent(serializeCallEvent(event)), event);
  });

  test("finish adds the fields known at the end", () => {
    const call = startCall({ tool_id: "t", tier: "hot" });
    const event = call.finish({ kind: "success" }, {
      secrets_resolved: true,
      cursor_page: 3,
    });
    assert.equal(event.secrets_resolved, true);
    assert.equal(event.cursor_page, 3);
  });

  test("measures duration_ms in whole milliseconds on a monotonic clock", async () => {
    const call = startCall({ tool_id: "t", tier: "hot" });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 25));
    const event = call.finish({ kind: "success" });
    const elapsed = performance.now() - started;
    assert.ok(Number.isInteger(event.duration_ms));
    // Behaviour, not speed: the duration covers the wait it measured.
    assert.ok(event.duration_ms >= 20, `${event.duration_ms} >= 20`);
    assert.ok(event.duration_ms <= Math.ceil(elapsed) + 1);
  });

  test("a recorder finishes once", () => {
    const call = startCall({ tool_id: "ref:echo.say", tier: "hot" });
    call.finish({ kind: "success" });
    assert.throws(
      () => call.finish({ kind: "success" }),
      (error: Error) =>
        error.message.includes(call.call_id) &&
        error.message.includes("already finished"),
    );
  });

  test("throws a clear error for a non-object", () => {
    assert.throws(() => startCall(undefined as never), /needs an object/);
  });
});
