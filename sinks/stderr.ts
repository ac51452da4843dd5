import type { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { processStreamSink } from "./_process_stream.ts";

/**
 * A sink that writes JSON lines to the process's standard error, in batches
 * (`Deno.stderr` on Deno, file descriptor 2 on Node and Bun). It never closes
 * stderr: `close()` only writes what is queued. If the process exits without
 * `close()`, queued events are written synchronously first. On a runtime
 * without a process stderr (workerd, browsers) each line goes to
 * `console.error`.
 *
 * @param options Capacity, fallback, error reporting, line limit.
 * @returns The sink.
 *
 * @example Audit to stderr, keeping stdout for the program
 * ```ts
 * import { startCall, stderrAuditSink } from "@calltrail/audit";
 *
 * const sink = stderrAuditSink();
 * const call = startCall({ tool_id: "ref:echo.say", tier: "hot" });
 * sink.onCall(call.finish({ kind: "success" }));
 * await sink.close(); // stderr stays open
 * ```
 */
export function stderrAuditSink(
  options: AuditSinkOptions = {},
): JsonLinesAuditSink {
  return processStreamSink("stderr", options);
}
