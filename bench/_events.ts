// The events every benchmark uses: realistic CallEvents of about 300 bytes
// (a caller, two capabilities, a cursor page, one outcome in ten a failure),
// made once, reused round-robin.

import type { CallEvent } from "../mod.ts";

/** The i-th benchmark event. */
export function benchEvent(i: number): CallEvent {
  return {
    ts: "2026-05-29T10:00:00.123Z",
    call_id: `01J0000000000000000000${String(i % 10_000).padStart(4, "0")}`,
    tool_id: "ref:fs.read",
    caller_id: "agent-7f3c9e2a@tenant-0042",
    granted_capabilities: ["fs.read", "net.fetch"],
    duration_ms: 17,
    outcome: i % 10 === 9
      ? { kind: "execution_failed", code: "FS_NOT_FOUND", retryable: false }
      : { kind: "success" },
    tier: "warm",
    dry_run: false,
    schema_version: 3,
    secrets_resolved: false,
    cursor_page: 2,
  };
}

/** 1024 events; index with `i & 1023`. */
export const BENCH_EVENTS: readonly CallEvent[] = Array.from(
  { length: 1024 },
  (_, i) => benchEvent(i),
);
