import type { AuditSink } from "./audit_sink.ts";

/**
 * Options of {@linkcode JsonLinesAuditSink}.
 *
 * @example A small queue with a fallback and a quiet error handler
 * ```ts
 * import {
 *   JsonLinesAuditSink,
 *   type JsonLinesAuditSinkOptions,
 *   MemoryAuditSink,
 * } from "@calltrail/audit";
 *
 * const errors: Error[] = [];
 * const options: JsonLinesAuditSinkOptions = {
 *   capacity: 256,
 *   fallback: new MemoryAuditSink({ capacity: 1000 }),
 *   onError: (error) => void errors.push(error),
 *   maxLineBytes: 64 * 1024,
 * };
 * await new JsonLinesAuditSink(new WritableStream(), options).close();
 * ```
 */
export interface JsonLinesAuditSinkOptions {
  /**
   * How many events the queue holds, counting the batch being written. When
   * it is full, `onCall` hands events to `fallback` or drops them, and `send`
   * waits. An integer >= 1.
   *
   * @default {1024}
   */
  capacity?: number;
  /**
   * A sink that takes the events this one has no room for: when its queue is
   * full, or after its destination failed. Not used once `close()` was
   * called. Events it takes count in `stats().diverted`, not in `drops()`.
   */
  fallback?: AuditSink;
  /**
   * As in `pipeTo`: when `true`, `close()` leaves the destination open (and
   * releases its writer) instead of closing it.
   *
   * @default {false}
   */
  preventClose?: boolean;
  /**
   * Called with each error: an invalid event, a failed write (once for the
   * failure, not once per event), a fallback that threw, a failed or
   * stalled close, and, at most once a second while it lasts, a full queue
   * that makes the sink drop events (not when a `fallback` takes them),
   * with the number dropped since the last report. It must not throw (if
   * it does, the error is ignored).
   *
   * @default {a short line on console.error, at most once a second}
   */
  onError?: (error: Error) => void;
  /**
   * The longest line, in UTF-8 bytes without its newline, that the sink
   * writes; an event with a longer line counts as invalid.
   *
   * @default {1048576}
   */
  maxLineBytes?: number;
  /**
   * How long, in milliseconds, `close()` waits for a destination that makes
   * no progress: when no write (or the final close) settles for this long,
   * `close()` gives up, counts the events still queued as failed, aborts the
   * destination, tells `onError`, and resolves. A slow destination that
   * keeps writing is waited for. `Infinity` waits for ever.
   *
   * @default {3000}
   */
  closeTimeout?: number;
}

/**
 * Options of the sinks that own their destination (a file, the process's
 * stdout or stderr, the console): those of {@linkcode JsonLinesAuditSink}
 * except `preventClose`, which such a sink decides for itself.
 *
 * @example Options for the stderr sink
 * ```ts
 * import { type AuditSinkOptions, stderrAuditSink } from "@calltrail/audit";
 *
 * const options: AuditSinkOptions = { capacity: 4096, closeTimeout: 1000 };
 * const sink = stderrAuditSink(options);
 * await sink.close();
 * ```
 */
export type AuditSinkOptions = Omit<JsonLinesAuditSinkOptions, "preventClose">;

/**
 * Options of {@linkcode JsonLinesAuditSink.send}.
 *
 * @example Wait at most one second for room
 * ```ts
 * import {
 *   createCallEvent,
 *   JsonLinesAuditSink,
 *   type SendOptions,
 * } from "@calltrail/audit";
 *
 * const sink = new JsonLinesAuditSink(new WritableStream());
 * const options: SendOptions = { signal: AbortSignal.timeout(1000) };
 * await sink.send(
 *   createCallEvent({
 *     call_id: "c-1",
 *     tool_id: "ref:echo.say",
 *     duration_ms: 1,
 *     outcome: { kind: "success" },
 *     tier: "hot",
 *   }),
 *   options,
 * );
 * await sink.close();
 * ```
 */
export interface SendOptions {
  /** Aborts the wait for room; the event then counts as dropped. */
  signal?: AbortSignal;
}
