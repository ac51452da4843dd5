// fast-check arbitraries shared by the property tests.

import fc from "fast-check";
import type { CallEvent } from "../mod.ts";

/** Any string, including lone surrogates, quotes and control characters. */
export const text: fc.Arbitrary<string> = fc.string({
  unit: "binary",
  maxLength: 40,
});
const outcome = fc.oneof(
  fc.constant({ kind: "success" as const }),
  fc.record({ kind: fc.constant("invalid_args" as const), message: text }),
  fc.record({
    kind: fc.constant("execution_failed" as const),
    code: text,
    retryable: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("capability_denied" as const),
    missing: fc.array(text, { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("rate_limited" as const),
    retry_after_ms: fc.option(fc.nat(), { nil: null }),
  }),
  fc.constant({ kind: "tool_not_found" as const }),
);
/** Any valid event, optional keys present or not. */
export const callEventArb: fc.Arbitrary<CallEvent> = fc.record(
  {
    ts: fc.date({
      min: new Date("1970-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    }).map((d) => d.toISOString()),
    call_id: fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
    tool_id: text,
    caller_id: text,
    granted_capabilities: fc.array(text, { maxLength: 4 }),
    duration_ms: fc.maxSafeNat(),
    outcome,
    tier: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
    dry_run: fc.boolean(),
    schema_version: fc.constantFrom(1, 2, 3),
    secrets_resolved: fc.boolean(),
    cursor_page: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    capability_provenance: fc.array(
      fc.record({
        cap: text,
        source: fc.oneof(
          fc.constant({ kind: "string_allow_list" as const }),
          fc.record({
            kind: fc.constant("ucan_chain" as const),
            issuer_did: text,
            chain_depth: fc.integer({ min: 0, max: 255 }),
          }),
        ),
      }),
      { maxLength: 3 },
    ),
  },
  {
    requiredKeys: [
      "ts",
      "call_id",
      "tool_id",
      "granted_capabilities",
      "duration_ms",
      "outcome",
      "tier",
      "dry_run",
      "schema_version",
      "secrets_resolved",
    ],
  },
) as fc.Arbitrary<CallEvent>;
