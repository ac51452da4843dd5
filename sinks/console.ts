import type { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { nativeSink, type NativeTarget } from "./_native_sink.ts";

/**
 * A sink that writes each event's line with one `console.log` call. Edge
 * runtimes (Cloudflare Workers, Deno Deploy, Vercel) collect console output as
 * structured logs, so this is the sink for them. On an edge runtime, keep the
 * request alive until the lines are out with `ctx.waitUntil(sink.flush())`.
 *
 * @param options Capacity, fallback, error reporting, line limit.
 * @returns The sink. `close()` leaves the console as it is.
 *
 * @example In a Cloudflare Worker
 * ```ts
 * import { consoleAuditSink, startCall } from "@calltrail/audit";
 *
 * const sink = consoleAuditSink();
 * const worker = {
 *   fetch(request: Request, _env: unknown, ctx: ExecutionContext): Response {
 *     const call = startCall({ tool_id: new URL(request.url).pathname, tier: "hot" });
 *     const response = new Response("ok"); // run the tool here
 *     sink.onCall(call.finish({ kind: "success" }));
 *     ctx.waitUntil(sink.flush());
 *     return response;
 *   },
 * };
 * // export default worker;
 *
 * interface ExecutionContext {
 *   waitUntil(promise: Promise<unknown>): void;
 * }
 * const pending: Promise<unknown>[] = [];
 * worker.fetch(new Request("https://tools.example/echo"), {}, {
 *   waitUntil: (promise) => void pending.push(promise),
 * });
 * await Promise.all(pending);
 * ```
 */
export function consoleAuditSink(
  options: AuditSinkOptions = {},
): JsonLinesAuditSink {
  return nativeSink(consoleTarget((line) => console.log(line)), options);
}

/** Internal: writes each line of a batch with one call of `log`. */
export function consoleTarget(log: (line: string) => void): NativeTarget {
  const write = (text: string): void => {
    // A batch ends with "\n".
    let start = 0;
    for (
      let end = text.indexOf("\n");
      end !== -1;
      end = text.indexOf("\n", start)
    ) {
      log(text.slice(start, end));
      start = end + 1;
    }
  };
  return { write, writeSync: write, close: () => {} };
}
