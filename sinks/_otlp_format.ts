// Internal: the format of otlpAuditSink, OTLP/HTTP with JSON encoding: each
// request is an ExportLogsServiceRequest with one resource, the
// @calltrail/audit scope, and one log record per line (_otlp_records.ts).

import { VERSION } from "../_version.ts";
import type { BatchFailure } from "../_line_destination.ts";
import type { HttpFormat } from "./_http_destination.ts";
import { OtlpRecords } from "./_otlp_records.ts";
import { ByteWriter } from "./_byte_writer.ts";

/** The values a resource attribute may take. */
export type ResourceValue = string | number | boolean | string[];

/** Statuses worth another attempt (OTLP/HTTP's "retryable" answers). */
const RETRYABLE = new Set([429, 502, 503, 504]);

const encoder = new TextEncoder();

/** About how many bytes a record takes: a body's first guess. */
const BYTES_PER_RECORD = 1536;

/** A resource attribute's value, as OTLP/JSON writes it. */
function anyValue(value: ResourceValue): unknown {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Array.isArray(value)) {
    return { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
  }
  return Number.isSafeInteger(value)
    ? { intValue: String(value) }
    : { doubleValue: value };
}

/**
 * The OTLP/JSON format of the sink, with `resource` as its resource's
 * attributes (`service.name` is "calltrail" unless given).
 */
export function otlpFormat(
  resource: Readonly<Record<string, ResourceValue>>,
): HttpFormat {
  const attributes = Object.entries({
    "service.name": "calltrail",
    ...resource,
  })
    .map(([key, value]) => ({ key, value: anyValue(value) }));
  const head = encoder.encode(
    `{"resourceLogs":[{"resource":${JSON.stringify({ attributes })},` +
      `"scopeLogs":[{"scope":${
        JSON.stringify({ name: "@calltrail/audit", version: VERSION })
      },"logRecords":[`,
  );
  const tail = encoder.encode("]}]}]}");
  const records = new OtlpRecords();
  return {
    contentType: "application/json",
    // A record is about four times its line: its attributes repeat the
    // line's fields under long keys.
    expansion: 4.5,
    acceptTimes: true,
    retryable: (status) => RETRYABLE.has(status),
    body(batch, lines, from, to) {
      const now = Date.now();
      const out = new ByteWriter(
        head.length + tail.length + (to - from) * BYTES_PER_RECORD,
      );
      out.bytes(head);
      for (let i = from; i < to; i++) {
        if (i > from) out.byte(0x2c); // ","
        records.write(out, lines[i], batch.times?.[i] ?? now);
      }
      out.bytes(tail);
      return out.result();
    },
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
