import type { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { processStreamSink } from "./_process_stream.ts";

/**
 * A sink that writes JSON lines to the process's standard output, in batches
 * (`Deno.stdout` on Deno, file descriptor 1 on Node and Bun). It never closes
 * stdout: `close()` only writes what is queued. If the process exits without
 * `close()`, queued events are written synchronously first. On a runtime
 * without a process stdout (workerd, browsers) each line goes to
 * `console.log`.
 *
 * @param options Capacity, fallback, error reporting, line limit.
 * @returns The sink.
 *
 * @example Audit to stdout, e.g. for a log collector
 * ```ts
 * import { startCall, stdoutAuditSink } from "@calltrail/audit";
 *
 * const sink = stdoutAuditSink();
 * const call = startCall({ tool_id: "ref:echo.say", tier: "hot" });
 * sink.onCall(call.finish({ kind: "success" }));
 * await sink.close(); // stdout stays open
 * ```
 */
export function stdoutAuditSink(
  options: AuditSinkOptions = {},
): JsonLinesAuditSink {
  return processStreamSink("stdout", options);
}
