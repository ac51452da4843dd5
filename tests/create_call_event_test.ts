import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createCallEvent, SCHEMA_VERSION, serializeCallEvent } from "../mod.ts";

const required = {
  call_id: "01J000000000000000000000TEST",
  tool_id: "ref:echo.say",
  duration_ms: 17,
  outcome: { kind: "success" },
  tier: "warm",
} as const;

describe("createCallEvent", () => {
  test("fills ts, schema_version and the defaults", () => {
    const before = Date.now();
    const event = createCallEvent(required);
    const after = Date.now();
    const ts = Date.parse(event.ts);
    assert.ok(ts >= before - 1 && ts <= after + 1, event.ts);
    assert.match(event.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(event, {
      ts: event.ts,
      ...required,
      granted_capabilities: [],
      dry_run: false,
      schema_version: SCHEMA_VERSION,
      secrets_resolved: false,
    });
  });

  test("leaves absent optional keys out of the object", () => {
    const event = createCallEvent(required);
    assert.equal("caller_id" in event, false);
    assert.equal("cursor_page" in event, false);
    assert.equal("capability_provenance" in event, false);
  });

  test("keeps the optional fields it is given", () => {
    const provenance = [{
      cap: "read",
      source: { kind: "string_allow_list" as const },
    }];
    const event = createCallEvent({
      ...required,
      ts: "2026-05-29T10:00:00.123Z",
      caller_id: "test-client",
      dry_run: true,
      secrets_resolved: true,
      cursor_page: 2,
      capability_provenance: provenance,
    });
    assert.equal(event.ts, "2026-05-29T10:00:00.123Z");
    assert.equal(event.caller_id, "test-client");
    assert.equal(event.dry_run, true);
    assert.equal(event.secrets_resolved, true);
    assert.equal(event.cursor_page, 2);
    assert.deepEqual(event.capability_provenance, provenance);
  });

  test("sorts and de-duplicates capabilities into a new array", () => {
    const caps = ["write", "read", "write", "admin"];
    const event = createCallEvent({ ...required, granted_capabilities: caps });
    assert.deepEqual(event.granted_capabilities, ["admin", "read", "write"]);
    assert.deepEqual(caps, ["write", "read", "write", "admin"]);
    const sorted = ["a", "b"];
    const copy = createCallEvent({ ...required, granted_capabilities: sorted });
    assert.notEqual(copy.granted_capabilities, sorted);
  });

  test("sorts and de-duplicates the missing capabilities of a denial", () => {
    const event = createCallEvent({
      ...required,
      outcome: { kind: "capability_denied", missing: ["b", "a", "b"] },
    });
    assert.deepEqual(event.outcome, {
      kind: "capability_denied",
      missing: ["a", "b"],
    });
  });

  test("makes events the sink can write", () => {
    const line = serializeCallEvent(createCallEvent(required));
    assert.match(line, /"schema_version":3,"secrets_resolved":false\}$/);
  });

  for (const key of Object.keys(required)) {
    test(`throws when ${key} is missing, naming it`, () => {
      const init: Record<string, unknown> = { ...required };
      delete init[key];
      assert.throws(
        () => createCallEvent(init as never),
        (error: Error) =>
          error instanceof TypeError && error.message.includes(`"${key}"`),
      );
    });
  }

  test("throws a clear error for a non-object", () => {
    assert.throws(() => createCallEvent(null as never), /needs an object/);
  });
});
