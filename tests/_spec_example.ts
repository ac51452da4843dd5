// The example line of SPEC §1, and the event it encodes.

import type { CallEvent } from "../mod.ts";

/** SPEC §1's example line, verbatim. */
export const SPEC_LINE =
  '{"ts":"2026-05-29T10:00:00.123Z","call_id":"01J000000000000000000000TEST","tool_id":"ref:echo.say","caller_id":"test-client","granted_capabilities":["read","write"],"duration_ms":17,"outcome":{"kind":"success"},"tier":"warm","dry_run":false,"schema_version":3,"secrets_resolved":false}';

/** The event of {@linkcode SPEC_LINE}, as a literal object. */
export const SPEC_EVENT: CallEvent = {
  ts: "2026-05-29T10:00:00.123Z",
  call_id: "01J000000000000000000000TEST",
  tool_id: "ref:echo.say",
  caller_id: "test-client",
  granted_capabilities: ["read", "write"],
  duration_ms: 17,
  outcome: { kind: "success" },
  tier: "warm",
  dry_run: false,
  schema_version: 3,
  secrets_resolved: false,
};
