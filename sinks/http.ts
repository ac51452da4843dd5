import { lineStream } from "../_line_destination.ts";
import { JsonLinesAuditSink } from "../json_lines_audit_sink.ts";
import type { AuditSinkOptions } from "../json_lines_audit_sink_options.ts";
import { httpDestination, type HttpFormat } from "./_http_destination.ts";
import { httpSettings } from "./_http_settings.ts";

/**
 * How an HTTP sink tries a request again.
 *
 * @example Give up on a batch after five attempts, waiting at most 2 s
 * ```ts
 * import type { RetryOptions } from "@calltrail/audit";
 *
 * const retry: RetryOptions = { maxAttempts: 5, maxDelay: 2000 };
 * ```
 */
export interface RetryOptions {
  /**
   * How many attempts a request gets, the first one included; after the
   * last, its events count as failed. `Infinity` tries until `close()`
   * gives up (see `closeTimeout`).
   *
   * @default {Infinity}
   */
  maxAttempts?: number;
  /**
   * The first backoff's ceiling, in milliseconds: attempt n waits a random
   * time from 0 to `initialDelay × 2^(n-1)`, at most `maxDelay`, unless the
   * receiver's `Retry-After` asks for a time (honoured as given).
   *
   * @default {100}
   */
  initialDelay?: number;
  /**
   * The backoff's cap, in milliseconds.
   *
   * @default {10000}
   */
  maxDelay?: number;
}

/**
 * Options of {@linkcode httpAuditSink}: those of the sinks that own their
 * destination, and how to reach the receiver.
 *
 * @example Basic auth, gzip and a short timeout
 * ```ts
 * import { type HttpAuditSinkOptions, httpAuditSink } from "@calltrail/audit";
 *
 * const options: HttpAuditSinkOptions = {
 *   headers: { authorization: `Basic ${btoa("auditor:secret")}` },
 *   gzip: true,
 *   requestTimeout: 5000,
 *   retry: { maxAttempts: 10 },
 * };
 * const sink = httpAuditSink("http://127.0.0.1:8123/", options);
 * await sink.close();
 * ```
 */
export interface HttpAuditSinkOptions extends AuditSinkOptions {
  /**
   * Headers of every request, such as `authorization`: an object, a
   * `Headers`, or name and value pairs.
   */
  headers?: Record<string, string> | Iterable<readonly [string, string]>;
  /**
   * Compress each request's body with gzip (`content-encoding: gzip`),
   * through `CompressionStream`.
   *
   * @default {false}
   */
  gzip?: boolean;
  /**
   * The most bytes of lines (before compression) in one request. A batch
   * above it is sent in several requests, in order.
   *
   * @default {1048576}
   */
  maxBatchBytes?: number;
  /**
   * How long, in milliseconds, one request may take, its answer included,
   * before it is abandoned and tried again.
   *
   * @default {10000}
   */
  requestTimeout?: number;
  /** How requests are tried again. */
  retry?: RetryOptions;
  /**
   * How many requests may be under way at once. With 1, batches reach the
   * receiver in the order of their events; with more, a slow link carries
   * more (each request still holds whole lines, and every event is counted
   * as before), but batches may arrive in any order, as a retried one
   * comes after those sent meanwhile.
   *
   * @default {1}
   */
  maxConcurrentRequests?: number;
  /**
   * The `fetch` to send requests with (a proxy's, or a test's).
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
}

/** Statuses worth another attempt: the receiver may take the batch later. */
const RETRYABLE = new Set([408, 429, 502, 503, 504]);

const encoder = new TextEncoder();

/** Whole JSON lines, as they are written to a file. */
const NDJSON: HttpFormat = {
  contentType: "application/x-ndjson",
  expansion: 1,
  acceptTimes: false,
  retryable: (status) => RETRYABLE.has(status),
  body: (batch, lines, from, to) =>
    encoder.encode(
      from === 0 && to === batch.count
        ? batch.text
        : lines.slice(from, to).join("\n") + "\n",
    ),
};

/**
 * A sink that POSTs its lines to `url` in batches of whole lines
 * (`content-type: application/x-ndjson`), through the bounded queue of
 * {@linkcode JsonLinesAuditSink}, with `fetch` only: it runs on Node,
 * Deno, Bun and workerd.
 *
 * `onCall` checks the event and queues a copy of its checked values; the
 * line is written when its batch is encoded, off the caller's path. One
 * request is under way at a time (more with `maxConcurrentRequests`);
 * while it is, lines gather into the next one. A network error, a timeout, or a 408, 429, 502, 503 or 504
 * answer is tried again after an exponential backoff with full jitter, or
 * after the time the answer's `Retry-After` asks for; a 413 splits the
 * request in two (a single line that still gets 413 counts as failed); any
 * other status fails that request's events (counted as `failed`, told to
 * `onError` with the status and the first 200 bytes of the answer, at most
 * once a second) and the sink goes on with the next. `close()` gives up on
 * a receiver that makes no progress after `closeTimeout`: what was not
 * delivered then counts as failed. There is no synchronous write at exit:
 * call `close()` (or `await flush()`) before the process ends.
 *
 * @param url The receiver, such as ClickHouse's
 * `http://127.0.0.1:8123/?query=INSERT%20INTO%20audit%20FORMAT%20JSONEachRow`.
 * @param options Queue, retries, headers, gzip and batch size.
 * @returns The sink.
 * @throws {TypeError} When `url` is not an http(s) URL, or an option has
 * the wrong type.
 * @throws {RangeError} When a size, a time or a count is out of range.
 *
 * @example Ship to a loopback receiver
 * ```ts
 * import { httpAuditSink, startCall } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * // A receiver that keeps what it is sent (in production: ClickHouse, a
 * // log collector's HTTP input, ...).
 * const bodies: string[] = [];
 * const sink = httpAuditSink("http://audit.example/ingest", {
 *   fetch: async (_url, init) => {
 *     bodies.push(new TextDecoder().decode(init?.body as Uint8Array));
 *     return new Response(null, { status: 204 });
 *   },
 * });
 * sink.onCall(startCall({ tool_id: "ref:echo.say", tier: "hot" })
 *   .finish({ kind: "success" }));
 * await sink.close();
 * assert(bodies.length === 1 && bodies[0].endsWith("\n"));
 * ```
 */
export function httpAuditSink(
  url: string | URL,
  options: HttpAuditSinkOptions = {},
): JsonLinesAuditSink {
  const settings = httpSettings("httpAuditSink", url, options);
  return new JsonLinesAuditSink(
    lineStream(httpDestination(settings, NDJSON)),
    { ...options, preventClose: false },
  );
}
