// Internal: OTLP/HTTP with JSON encoding (an ExportLogsServiceRequest), one
// log record per line (SPEC §5.2). The record's body is the line itself,
// byte for byte; its attributes follow OpenTelemetry's GenAI conventions
// (gen_ai.operation.name, gen_ai.tool.name, gen_ai.tool.call.id, error.type)
// and carry every other field but ts under calltrail.*. 64-bit integers are
// decimal strings, as the OTLP/JSON encoding writes them.

import { VERSION } from "../_version.ts";
import type { Batch, BatchFailure } from "../_line_destination.ts";
import type { CallEvent } from "../types.ts";
import type { HttpFormat } from "./_http_destination.ts";

/** An attribute value, as OTLP/JSON writes it. */
type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };

/** A key and its value. */
interface KeyValue {
  key: string;
  value: AnyValue;
}

/** The values a resource attribute may take. */
export type ResourceValue = string | number | boolean | string[];

/** Statuses worth another attempt (OTLP/HTTP's "retryable" answers). */
const RETRYABLE = new Set([429, 502, 503, 504]);

const string = (value: string): AnyValue => ({ stringValue: value });
const int = (value: number): AnyValue => ({ intValue: String(value) });
const bool = (value: boolean): AnyValue => ({ boolValue: value });
const strings = (values: readonly string[]): AnyValue => ({
  arrayValue: { values: values.map(string) },
});
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

/** A resource or scope attribute's value. */
function anyValue(value: ResourceValue): AnyValue {
  if (typeof value === "string") return string(value);
  if (typeof value === "boolean") return bool(value);
  if (Array.isArray(value)) return strings(value);
  return Number.isSafeInteger(value) ? int(value) : { doubleValue: value };
}

/** severityNumber and severityText of an outcome. */
function severity(kind: string): [number, string] {
  if (kind === "success") return [9, "INFO"];
  if (kind === "execution_failed") return [17, "ERROR"];
  return [13, "WARN"];
}

/**
 * `ts` (any RFC 3339 time) in nanoseconds since the epoch, as a decimal
 * string: its whole seconds from Date.parse, its fraction digit by digit.
 */
export function unixNano(ts: string): string {
  const fraction = /\.(\d+)/.exec(ts)?.[1] ?? "";
  const seconds = Math.floor(Date.parse(ts.replace(/\.\d+/, "")) / 1000);
  const nanos = (fraction + "000000000").slice(0, 9);
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

/** The attributes of one event. */
function attributes(event: CallEvent): KeyValue[] {
  const { outcome } = event;
  const out: KeyValue[] = [
    kv("gen_ai.operation.name", string("execute_tool")),
    kv("gen_ai.tool.name", string(event.tool_id)),
    kv("gen_ai.tool.call.id", string(event.call_id)),
  ];
  if (outcome.kind !== "success") {
    out.push(kv("error.type", string(outcome.kind)));
  }
  if (event.caller_id !== undefined) {
    out.push(kv("calltrail.caller_id", string(event.caller_id)));
  }
  out.push(
    kv("calltrail.granted_capabilities", strings(event.granted_capabilities)),
    kv("calltrail.duration_ms", int(event.duration_ms)),
    kv("calltrail.outcome.kind", string(outcome.kind)),
  );
  switch (outcome.kind) {
    case "invalid_args":
      out.push(kv("calltrail.outcome.message", string(outcome.message)));
      break;
    case "execution_failed":
      out.push(
        kv("calltrail.outcome.code", string(outcome.code)),
        kv("calltrail.outcome.retryable", bool(outcome.retryable)),
      );
      break;
    case "capability_denied":
      out.push(kv("calltrail.outcome.missing", strings(outcome.missing)));
      break;
    case "rate_limited":
      if (outcome.retry_after_ms !== null) {
        out.push(
          kv("calltrail.outcome.retry_after_ms", int(outcome.retry_after_ms)),
        );
      }
      break;
  }
  out.push(
    kv("calltrail.tier", string(event.tier)),
    kv("calltrail.dry_run", bool(event.dry_run)),
    kv("calltrail.schema_version", int(event.schema_version)),
    kv("calltrail.secrets_resolved", bool(event.secrets_resolved)),
  );
  if (event.cursor_page !== undefined) {
    out.push(kv("calltrail.cursor_page", int(event.cursor_page)));
  }
  const provenance = event.capability_provenance;
  if (provenance !== undefined) {
    out.push(kv("calltrail.capability_provenance", {
      arrayValue: {
        values: provenance.map(({ cap, source }) => ({
          kvlistValue: {
            values: [
              kv("cap", string(cap)),
              kv("source", {
                kvlistValue: {
                  values: source.kind === "ucan_chain"
                    ? [
                      kv("kind", string(source.kind)),
                      kv("issuer_did", string(source.issuer_did)),
                      kv("chain_depth", int(source.chain_depth)),
                    ]
                    : [kv("kind", string(source.kind))],
                },
              }),
            ],
          },
        })),
      },
    }));
  }
  return out;
}

/** One log record, as JSON, of a line accepted at `acceptedAt` (ms). */
export function otlpRecord(line: string, acceptedAt: number): string {
  const event = JSON.parse(line) as CallEvent;
  const [severityNumber, severityText] = severity(event.outcome.kind);
  return JSON.stringify({
    timeUnixNano: unixNano(event.ts),
    observedTimeUnixNano: `${acceptedAt}000000`,
    severityNumber,
    severityText,
    eventName: "calltrail.tool_call",
    body: string(line),
    attributes: attributes(event),
  });
}

/**
 * The OTLP/JSON format of the sink, with `resource` as its resource's
 * attributes (`service.name` is "calltrail" unless given).
 */
export function otlpFormat(
  resource: Readonly<Record<string, ResourceValue>>,
): HttpFormat {
  const resourceAttributes = Object.entries({
    "service.name": "calltrail",
    ...resource,
  }).map(([key, value]) => kv(key, anyValue(value)));
  const head = `{"resourceLogs":[{"resource":${
    JSON.stringify({ attributes: resourceAttributes })
  },"scopeLogs":[{"scope":${
    JSON.stringify({ name: "@calltrail/audit", version: VERSION })
  },"logRecords":[`;
  const tail = "]}]}]}";
  return {
    contentType: "application/json",
    overhead: new TextEncoder().encode(head + tail).length,
    acceptTimes: true,
    retryable: (status) => RETRYABLE.has(status),
    records(batch: Batch): string[] {
      const lines = batch.text.split("\n", batch.count);
      const now = Date.now();
      return lines.map((line, i) => otlpRecord(line, batch.times?.[i] ?? now));
    },
    body: (records, from, to) =>
      head + records.slice(from, to).join(",") + tail,
    refused: partialSuccess,
  };
}

/** The records a 2xx answer says it rejected (partialSuccess). */
async function partialSuccess(
  response: Response,
  count: number,
): Promise<BatchFailure | undefined> {
  let answer: unknown;
  try {
    const text = await response.text();
    if (text === "") return undefined;
    answer = JSON.parse(text);
  } catch {
    return undefined; // Not JSON: nothing said about rejected records.
  }
  const partial = (answer as {
    partialSuccess?: { rejectedLogRecords?: unknown; errorMessage?: unknown };
  })?.partialSuccess;
  const rejected = Number(partial?.rejectedLogRecords ?? 0);
  if (!(rejected > 0)) return undefined;
  const failed = Math.min(Math.trunc(rejected), count);
  const why = typeof partial?.errorMessage === "string" && partial.errorMessage
    ? `: ${partial.errorMessage}`
    : "";
  return {
    failed,
    error: new Error(
      `calltrail: the OTLP receiver rejected ${failed} of ${count} log records (partialSuccess), which count as failed${why}.`,
    ),
  };
}
