import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CallEventSchema } from "../mod.ts";
import { sampleEvent } from "./_helpers.ts";

describe("CallEventSchema", () => {
  test("parses a valid event and strips unknown keys", () => {
    const event = CallEventSchema.parse({ ...sampleEvent(), args: { x: 1 } });
    assert.deepEqual(event, sampleEvent());
  });

  test("defaults secrets_resolved to false", () => {
    const { secrets_resolved: _, ...v1 } = sampleEvent({ schema_version: 1 });
    const result = CallEventSchema.safeParse(v1);
    assert.equal(result.success, true);
    assert.equal(result.data?.secrets_resolved, false);
  });

  test("safeParse reports the path of each issue", () => {
    const result = CallEventSchema.safeParse(
      sampleEvent({ duration_ms: -1, tier: "" }),
    );
    assert.equal(result.success, false);
    const paths = result.error!.issues.map((issue) => issue.path.join("."));
    assert.deepEqual(paths.sort(), ["duration_ms", "tier"]);
  });

  test("parse throws on an invalid event", () => {
    assert.throws(
      () => CallEventSchema.parse({ ...sampleEvent(), call_id: "" }),
      (error: { issues?: { path: PropertyKey[] }[] }) =>
        error.issues?.length === 1 && error.issues[0].path[0] === "call_id",
    );
  });

  test("implements Standard Schema v1", async () => {
    const standard = CallEventSchema["~standard"];
    assert.equal(standard.version, 1);
    assert.equal(standard.vendor, "zod");
    const ok = await standard.validate(sampleEvent());
    assert.equal(ok.issues, undefined);
    const bad = await standard.validate({});
    assert.ok((bad.issues?.length ?? 0) > 0);
  });
});
