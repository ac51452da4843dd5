import { describe } from "../_describe.ts";
import { lineStream } from "../_line_destination.ts";
import { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import { httpDestination } from "./_http_destination.ts";
import { httpSettings } from "./_http_settings.ts";
import { otlpFormat, type ResourceValue } from "./_otlp_format.ts";
import type { HttpAuditSinkOptions } from "./http.ts";

/**
 * Options of {@linkcode otlpAuditSink}: those of
 * {@linkcode httpAuditSink}, and the resource's attributes.
 *
 * @example Name the service and its deployment
 * ```ts
 * import { type OtlpAuditSinkOptions, otlpAuditSink } from "@calltrail/audit";
 *
 * const options: OtlpAuditSinkOptions = {
 *   resource: {
 *     "service.name": "tool-host",
 *     "deployment.environment.name": "production",
 *   },
 * };
 * const sink = otlpAuditSink("http://127.0.0.1:4318/v1/logs", options);
 * await sink.close();
 * ```
 */
export interface OtlpAuditSinkOptions extends HttpAuditSinkOptions {
  /**
   * The resource's attributes: strings, numbers, booleans or arrays of
   * strings, such as `service.name`.
   *
   * @default {{ "service.name": "calltrail" }}
   */
  resource?: Record<string, string | number | boolean | string[]>;
}

/**
 * A sink that sends its events to an OpenTelemetry collector, or any OTLP
 * receiver, over OTLP/HTTP with JSON encoding: each request is an
 * `ExportLogsServiceRequest` POSTed to `url` as given (usually
 * `http://host:4318/v1/logs`), with one log record per event. It is
 * {@linkcode httpAuditSink}'s sink with OTLP's rules: 429, 502, 503, 504,
 * network errors and timeouts are tried again (honouring `Retry-After`),
 * a 413 splits the request in two, any other status fails the request's
 * events, and the records an answer's `partialSuccess` rejects count as
 * failed.
 *
 * Each record's `body` is the event's line, byte for byte
 * (`stringValue`); `timeUnixNano` is its `ts`; `observedTimeUnixNano` is
 * when the sink accepted it; `severityNumber` is 9 (INFO) for success, 17
 * (ERROR) for execution_failed and 13 (WARN) otherwise; `eventName` is
 * `calltrail.tool_call`. Its attributes are `gen_ai.operation.name`
 * (`execute_tool`), `gen_ai.tool.name` (the tool id),
 * `gen_ai.tool.call.id` (the call id), `error.type` (the outcome's kind,
 * unless success), and every other field but `ts` under `calltrail.`:
 * `calltrail.caller_id`, `calltrail.granted_capabilities` (an array),
 * `calltrail.duration_ms` (an int), `calltrail.outcome.kind`,
 * `calltrail.outcome.code`, and so on.
 *
 * @param url The receiver's logs endpoint, used as given.
 * @param options Those of {@linkcode httpAuditSink}, and `resource`.
 * @returns The sink.
 * @throws {TypeError} When `url` is not an http(s) URL, or an option has
 * the wrong type.
 * @throws {RangeError} When a size, a time or a count is out of range.
 *
 * @example Send to a collector
 * ```ts
 * import { otlpAuditSink, startCall } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * // A stand-in for the collector at http://127.0.0.1:4318/v1/logs.
 * const requests: { resourceLogs: unknown[] }[] = [];
 * const sink = otlpAuditSink("http://127.0.0.1:4318/v1/logs", {
 *   resource: { "service.name": "tool-host" },
 *   fetch: async (_url, init) => {
 *     requests.push(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)));
 *     return Response.json({});
 *   },
 * });
 * sink.onCall(startCall({ tool_id: "ref:echo.say", tier: "hot" })
 *   .finish({ kind: "success" }));
 * await sink.close();
 * assert(requests.length === 1 && sink.stats().written === 1);
 * ```
 */
export function otlpAuditSink(
  url: string | URL,
  options: OtlpAuditSinkOptions = {},
): JsonLinesAuditSink {
  const settings = httpSettings("otlpAuditSink", url, options);
  const resource = options.resource ?? {};
  for (const [key, value] of Object.entries(resource)) {
    const ok = ["string", "number", "boolean"].includes(typeof value) ||
      (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) {
      throw new TypeError(
        `calltrail: the resource option of otlpAuditSink() takes strings, numbers, booleans or arrays of strings; "${key}" is ${
          describe(value)
        }.`,
      );
    }
  }
  return new JsonLinesAuditSink(
    lineStream(
      httpDestination(
        settings,
        otlpFormat(resource as Record<string, ResourceValue>),
      ),
    ),
    { ...options, preventClose: false },
  );
}
