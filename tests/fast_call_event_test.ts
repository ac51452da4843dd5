// The reader's fast path accepts only what CallEventSchema accepts, and
// returns exactly what the schema returns (keys in the same order).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CallEventSchema, serializeCallEvent } from "../mod.ts";
import { fastCallEvent } from "../_fast_call_event.ts";
import { callEventArb, SPEC_KEYS } from "./_arbitraries.ts";
import { readVectors, writeVectors } from "./_vectors.ts";

/** Fails unless fastCallEvent(value) is undefined or what the schema gives. */
function agrees(value: unknown): boolean {
  const fast = fastCallEvent(value);
  if (fast === undefined) return false;
  const zod = CallEventSchema.safeParse(value);
  assert.ok(
    zod.success,
    `the schema rejects what the fast path took: ${JSON.stringify(value)}`,
  );
  assert.deepEqual(fast, zod.data);
  assert.equal(
    JSON.stringify(fast),
    JSON.stringify(zod.data),
    "same keys, same order",
  );
  return true;
}

/** A JSON value with one field of `event` replaced, removed or extended. */
const mutated = fc.tuple(
  callEventArb,
  fc.constantFrom(
    ...SPEC_KEYS,
    "extra",
  ),
  fc.oneof(
    fc.jsonValue(),
    fc.constant(undefined),
    fc.record({
      kind: fc.constantFrom(
        "success",
        "invalid_args",
        "execution_failed",
        "capability_denied",
        "rate_limited",
        "tool_not_found",
        "other",
      ),
      message: fc.jsonValue(),
      code: fc.jsonValue(),
      retryable: fc.jsonValue(),
      missing: fc.jsonValue(),
      retry_after_ms: fc.jsonValue(),
    }, { requiredKeys: ["kind"] }),
    fc.constantFrom(
      0,
      -1,
      1.5,
      2 ** 53,
      "",
      "2026-05-29T10:00:00Z",
      "2026-13-01T00:00:00Z",
      [],
      ["a", 1],
      null,
      true,
      4,
    ),
  ),
).map(([event, key, replacement]) => {
  const value = JSON.parse(serializeCallEvent(event));
  delete value.capability_provenance; // Else the fast path leaves it all to zod.
  if (replacement === undefined) delete value[key];
  else value[key] = replacement;
  return JSON.parse(JSON.stringify(value));
});

describe("fastCallEvent (readCallEvents' fast path)", () => {
  test("takes every valid event without capability_provenance, as the schema reads it", () => {
    fc.assert(
      fc.property(callEventArb, (event) => {
        const value = JSON.parse(serializeCallEvent(event));
        const taken = agrees(value);
        assert.equal(taken, value.capability_provenance === undefined);
      }),
      { numRuns: 500 },
    );
    for (const vector of writeVectors) agrees(JSON.parse(vector.line));
  });

  test("property: whatever it takes, the schema takes, with the same result", () => {
    fc.assert(fc.property(mutated, (value) => void agrees(value)), {
      numRuns: 3000,
    });
    fc.assert(fc.property(fc.jsonValue(), (value) => void agrees(value)), {
      numRuns: 500,
    });
  });

  test("leaves the shared vectors' bad lines to the schema", () => {
    for (const vector of readVectors.filter((v) => !v.ok)) {
      let value: unknown;
      try {
        value = JSON.parse(vector.line);
      } catch {
        continue;
      }
      assert.equal(fastCallEvent(value), undefined, vector.name);
    }
  });
});
