// Internal: the format of otlpAuditSink, OTLP/HTTP with JSON encoding: each
// request is an ExportLogsServiceRequest with one resource, the
// @calltrail/audit scope, and one log record per line (_otlp_records.ts).

import { VERSION } from "../_version.ts";
import type { BatchFailure } from "../_line_destination.ts";
import type { HttpFormat } from "./_http_destination.ts";
import { OtlpRecords } from "./_otlp_records.ts";

/** The values a resource attribute may take. */
export type ResourceValue = string | number | boolean | string[];

/** Statuses worth another attempt (OTLP/HTTP's "retryable" answers). */
const RETRYABLE = new Set([429, 502, 503, 504]);

const encoder = new TextEncoder();

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
      // Each record encoded on its own, then copied once into the body:
      // cheaper on every runtime than one string joined and encoded.
      const now = Date.now();
      const encoded: Uint8Array[] = [];
      let size = head.length + tail.length + (to - from - 1);
      for (let i = from; i < to; i++) {
        const bytes = encoder.encode(
          records.record(lines[i], batch.times?.[i] ?? now),
        );
        encoded.push(bytes);
        size += bytes.length;
      }
      const body = new Uint8Array(size);
      body.set(head, 0);
      let at = head.length;
      for (let i = 0; i < encoded.length; i++) {
        if (i > 0) body[at++] = 0x2c; // ","
        body.set(encoded[i], at);
        at += encoded[i].length;
      }
      body.set(tail, at);
      return body;
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
