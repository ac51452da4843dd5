// The hot path: what one tool call costs the host, per event.
// Run: node bench/hot_path_bench.ts | deno run -A bench/hot_path_bench.ts |
//      bun bench/hot_path_bench.ts

import { bench, do_not_optimize, run, summary } from "mitata";
import {
  type CallEvent,
  JsonLinesAuditSink,
  serializeCallEvent,
  startCall,
} from "../mod.ts";

/** A realistic event of about 300 bytes: caller, two capabilities. */
function realistic(i: number): CallEvent {
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

const events = Array.from({ length: 1024 }, (_, i) => realistic(i));
const discard = () => new WritableStream<Uint8Array>();

// A sink with room: replaced before its queue fills, so every call is
// accepted (the replacement costs one construction per 50,000 calls).
let roomy = new JsonLinesAuditSink(discard(), { capacity: 1 << 20 });
let calls = 0;

// A sink that is always full: every call is a drop.
const full = new JsonLinesAuditSink(
  new WritableStream({ write: () => new Promise(() => {}) }),
  { capacity: 1 },
);
full.onCall(events[0]);

summary(() => {
  bench("JSON.stringify(event) (baseline)", function* () {
    let i = 0;
    yield () => do_not_optimize(JSON.stringify(events[i++ & 1023]));
  });
  bench("serializeCallEvent(event)", function* () {
    let i = 0;
    yield () => do_not_optimize(serializeCallEvent(events[i++ & 1023]));
  });
  bench("sink.onCall(event), queue has room", function* () {
    let i = 0;
    yield () => {
      if (++calls === 50_000) {
        calls = 0;
        roomy = new JsonLinesAuditSink(discard(), { capacity: 1 << 20 });
      }
      roomy.onCall(events[i++ & 1023]);
    };
  });
  bench("sink.onCall(event), queue full (drop)", function* () {
    let i = 0;
    yield () => full.onCall(events[i++ & 1023]);
  });
  bench("startCall() + finish()", () => {
    do_not_optimize(
      startCall({
        tool_id: "ref:fs.read",
        caller_id: "agent-7f3c9e2a@tenant-0042",
        granted_capabilities: ["fs.read", "net.fetch"],
        tier: "warm",
      }).finish({ kind: "success" }),
    );
  });
});

await run();
