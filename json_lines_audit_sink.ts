import { DEFAULT_AUDIT_QUEUE_CAPACITY } from "./constants.ts";
import { checkedLine } from "./_checked_line.ts";
import { describe } from "./_describe.ts";
import { rateLimitedConsoleReporter } from "./_report.ts";
import { runtime } from "./_runtime.ts";
import type { AuditSink } from "./audit_sink.ts";
import type { CallEvent } from "./types.ts";

/** Options of {@linkcode JsonLinesAuditSink}. *
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
   * called.
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
   * failure, not once per event), a failed or stalled close, and, at most
   * once a second while it lasts, a full queue that makes the sink drop
   * events (not when a `fallback` takes them). It must not throw (if it
   * does, the error is ignored).
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
 * @example Options for a file sink
 * ```ts
 * import { type AuditSinkOptions, fileAuditSink } from "@calltrail/audit";
 *
 * const options: AuditSinkOptions = { capacity: 4096 };
 * const sink = await fileAuditSink(`${await Deno.makeTempDir()}/a.jsonl`, options);
 * await sink.close();
 * ```
 */
export type AuditSinkOptions = Omit<JsonLinesAuditSinkOptions, "preventClose">;

/**
 * The sink's counters. At every moment
 * `accepted = written + failed + queued`, and every `onCall` or `send` adds
 * one to exactly one of `accepted`, `dropped` and `invalid`.
 *
 * @example Check the balance
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AuditSinkStats, JsonLinesAuditSink } from "@calltrail/audit";
 *
 * const sink = new JsonLinesAuditSink(new WritableStream());
 * const s: AuditSinkStats = sink.stats();
 * assert.equal(s.accepted, s.written + s.failed + s.queued);
 * ```
 */
export interface AuditSinkStats {
  /** Events taken into the queue. */
  accepted: number;
  /** Accepted events whose write to the destination resolved. */
  written: number;
  /**
   * Events the queue did not take because it was full or the sink closed,
   * including those handed to the `fallback`.
   */
  dropped: number;
  /** Accepted events whose write to the destination failed. */
  failed: number;
  /** Events that could not be written as a valid line; never queued. */
  invalid: number;
  /** Accepted events not yet written or failed. */
  queued: number;
}

/** Options of {@linkcode JsonLinesAuditSink.send}. *
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

/** Lines are written in batches of about this many UTF-16 code units. */
const BATCH_CHARS = 64 * 1024;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 3000;
/** The longest delay setTimeout takes; a longer closeTimeout waits for ever. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The least time between two reports that the queue is full. */
const OVERFLOW_REPORT_MS = 1000;
const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();

/** Sealed lines on their way to the destination: one chunk of the queue. */
class Batch {
  text: string;
  count: number;
  /** The next sealed batch, while this one is not yet handed on. */
  next: Batch | undefined = undefined;
  /** Whether the batch was given to the destination (or written at exit). */
  handed = false;
  constructor(text: string, count: number) {
    this.text = text;
    this.count = count;
  }
}

/** A `send` waiting for room. `line` is `undefined` once it was aborted. */
interface Waiter {
  line: string | undefined;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Internal, not exported by `mod.ts`: where a sink's batches go. The public
 * constructor makes one over a `WritableStream<Uint8Array>` (encoding each
 * batch); the native sinks make their own, which write the text directly.
 */
export interface LineDestination {
  /** Writes one batch of whole lines, each ended by "\n". */
  write(text: string): void | Promise<void>;
  /** Closes the destination once every batch is written. */
  close(): void | Promise<void>;
  /** Lets go of the destination without closing it (`preventClose`). */
  release(): void;
  /**
   * Gives up on a destination that stalled: a write under way is no longer
   * waited for. Must not throw.
   */
  abort(reason: Error): void;
}

/** Marks the object that carries a LineDestination into the constructor. */
const LINES = Symbol("calltrail.lines");

/** Internal, not exported by `mod.ts`: a sink over a LineDestination. */
export function lineSink(
  destination: LineDestination,
  options: JsonLinesAuditSinkOptions,
): JsonLinesAuditSink {
  const carrier = { [LINES]: destination };
  return new JsonLinesAuditSink(
    carrier as unknown as WritableStream<Uint8Array>,
    options,
  );
}

/**
 * Internal, not exported by `mod.ts`: when the process exits without
 * `close()`, the native sinks call it to run `finish` (which completes a write
 * under way), then write synchronously, with `write`, every accepted event not
 * yet handed to the destination. Failures go to the sink's `onError`.
 */
export let drainPendingSync: (
  sink: JsonLinesAuditSink,
  write: (text: string) => void,
  finish?: () => void,
) => void;

/**
 * An audit sink that writes one JSON line per event to a
 * `WritableStream<Uint8Array>`, through a bounded queue, without ever making
 * the caller wait or throw.
 *
 * The queue is a `WritableStream` whose `highWaterMark` is `capacity`. Its
 * chunks are batches of serialized lines, each sized by its number of events,
 * so its `desiredSize` counts events. `onCall` serializes the event (the
 * snapshot that is written), appends the line to the batch being filled when
 * `desiredSize` minus that batch's size leaves room, and otherwise hands the
 * event to `fallback` or drops it. The batch is sealed into the queue when it
 * reaches 64 KiB, when the queue is full, on `flush()`, or on the next turn of
 * the event loop (at the end of the current job on workerd and in browsers),
 * or, if batches are still being written then, once they are. The queue
 * writes each batch to the destination as one chunk, one at a time, in order.
 *
 * @example Write to any WritableStream
 * ```ts
 * import { createCallEvent, JsonLinesAuditSink } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const chunks: Uint8Array[] = [];
 * const sink = new JsonLinesAuditSink(
 *   new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
 * );
 * sink.onCall(createCallEvent({
 *   call_id: "01J000000000000000000000TEST",
 *   tool_id: "ref:echo.say",
 *   duration_ms: 3,
 *   outcome: { kind: "success" },
 *   tier: "hot",
 * }));
 * await sink.close();
 * assert(sink.stats().written === 1 && chunks.length === 1);
 * ```
 *
 * @example No loss: wait for room with `send`
 * ```ts
 * import { createCallEvent, JsonLinesAuditSink } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * await using sink = new JsonLinesAuditSink(new WritableStream(), {
 *   capacity: 4,
 * });
 * for (let i = 0; i < 100; i++) {
 *   await sink.send(createCallEvent({
 *     call_id: `call-${i}`,
 *     tool_id: "ref:echo.say",
 *     duration_ms: 0,
 *     outcome: { kind: "success" },
 *     tier: "hot",
 *   }));
 * }
 * assert(sink.drops() === 0);
 * ```
 */
export class JsonLinesAuditSink implements AuditSink, AsyncDisposable {
  static {
    drainPendingSync = (sink, write, finish) => sink.#drainSync(write, finish);
  }

  readonly #maxLineBytes: number;
  readonly #capacity: number;
  readonly #closeTimeout: number;
  readonly #fallback: AuditSink | undefined;
  readonly #preventClose: boolean;
  readonly #onError: (error: Error) => void;
  readonly #queue: WritableStreamDefaultWriter<Batch>;
  readonly #destination: LineDestination;

  /** The batch being filled: its lines and their number. */
  #open = "";
  #openCount = 0;
  readonly #useTimer = runtime() !== "other";
  #sealPending = false;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /**
   * The queue's desiredSize (room for events, past the sealed batches), read
   * whenever it changes: when a batch is sealed into it or leaves it. Reading
   * it once per change, not once per event, keeps `onCall` cheap.
   */
  #queueRoom: number;
  /** Batches sealed into the queue and not yet written or failed. */
  #sealed = 0;
  /** The timer fired while batches were under way: seal once they are. */
  #sealWhenDrained = false;
  /** Sealed batches not yet handed to the destination, oldest first. */
  #head: Batch | undefined = undefined;
  #tail: Batch | undefined = undefined;
  /** Settles when the last sealed batch was written or failed. */
  #last: Promise<void> = RESOLVED;

  #waiters: (Waiter | undefined)[] = [];
  #waiterHead = 0;
  #waiting = 0;

  #accepted = 0;
  #written = 0;
  #failed = 0;
  #dropped = 0;
  #diverted = 0;
  #invalid = 0;

  /** No more events: `close()` was called or the destination failed. */
  #closed = false;
  #closeCalled = false;
  #closing: Promise<void> | undefined = undefined;
  /** The destination's first error, once it failed. */
  #failure: Error | undefined = undefined;
  /** close() gave up on a stalled destination: its writes no longer count. */
  #abandoned = false;
  /** Waiting flush() calls, resolved early if close() gives up. */
  readonly #flushes = new Set<() => void>();
  /** Called when a batch settles, while close() watches for progress. */
  #onProgress: (() => void) | undefined = undefined;
  /** The queue was found full since the last batch settled. */
  #overflowSeen = false;
  /** When the next report of a full queue may be made (ms since epoch). */
  #nextOverflowReport = 0;

  /**
   * Creates a sink that writes to `destination`, taking its writer.
   *
   * @param destination Where lines go, as UTF-8 bytes. Each chunk holds
   * whole lines.
   * @param options Capacity, fallback, error reporting and close behaviour.
   * @throws {TypeError} When `destination` is not an unlocked
   * `WritableStream`, or an option has the wrong type.
   * @throws {RangeError} When `capacity` or `maxLineBytes` is not an integer
   * >= 1, or `closeTimeout` is not a number > 0.
   */
  constructor(
    destination: WritableStream<Uint8Array>,
    options: JsonLinesAuditSinkOptions = {},
  ) {
    const capacity = options.capacity ?? DEFAULT_AUDIT_QUEUE_CAPACITY;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    checkCount("capacity", capacity, "DEFAULT_AUDIT_QUEUE_CAPACITY (1024)");
    checkCount("maxLineBytes", this.#maxLineBytes, "1048576 (1 MiB)");
    const closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (typeof closeTimeout !== "number" || !(closeTimeout > 0)) {
      throw new RangeError(
        `calltrail: the closeTimeout option must be a number of milliseconds > 0 (or Infinity), got ${
          describe(closeTimeout)
        }. Leave it out to use the default, ${DEFAULT_CLOSE_TIMEOUT_MS}.`,
      );
    }
    this.#capacity = capacity;
    this.#closeTimeout = closeTimeout;
    const { fallback, onError } = options;
    if (fallback !== undefined && typeof fallback?.onCall !== "function") {
      throw new TypeError(
        `calltrail: the fallback option must be an AuditSink (with onCall and drops), got ${
          describe(fallback)
        }.`,
      );
    }
    if (onError !== undefined && typeof onError !== "function") {
      throw new TypeError(
        `calltrail: the onError option must be a function, got ${
          describe(onError)
        }.`,
      );
    }
    this.#fallback = fallback;
    this.#preventClose = options.preventClose === true;
    this.#onError = onError ?? rateLimitedConsoleReporter();
    this.#destination = (destination as { [LINES]?: LineDestination })
      ?.[LINES] ?? encodingDestination(destination);
    this.#queue = new WritableStream<Batch>(
      { write: (batch) => this.#writeBatch(batch) },
      { highWaterMark: capacity, size: (batch) => batch.count },
    ).getWriter();
    this.#queueRoom = capacity;
  }

  /**
   * Takes one event without waiting: serializes it and queues its line when
   * the queue has room; otherwise hands it to `fallback` or drops it and
   * counts the drop. An event that cannot be written counts as invalid and is
   * reported to `onError`. When the queue is full or the sink is closed, the
   * event is dropped without being checked (a drop then costs no
   * allocation). It never throws, whatever it is given.
   *
   * @param event The finished call's event.
   */
  onCall(event: CallEvent): void {
    // A full queue drops before serializing: under overload, a drop costs
    // no allocation at all.
    if (this.#full()) return this.#drop(event);
    const line = this.#lineOf(event);
    if (typeof line !== "string") return;
    // A getter of the event may have called back into the sink (close(),
    // another onCall): look again before taking the line.
    if (this.#full()) return this.#drop(event);
    this.#accept(line);
  }

  /**
   * Takes one event without loss: waits for room in the queue, then accepts
   * it. It resolves once the event is accepted, not written; use `flush()` to
   * wait for the write.
   *
   * @param event The finished call's event.
   * @param options An optional `signal` that gives up the wait.
   * @returns A promise that resolves when the event is accepted. It rejects
   * when the sink is closed or its destination failed, or when `signal`
   * aborts (with `signal.reason`) or is not an `AbortSignal`; the event then
   * counts as dropped. It rejects when the event is invalid; it then counts
   * as invalid.
   */
  send(event: CallEvent, options?: SendOptions): Promise<void> {
    if (this.#closed) {
      this.#dropped++;
      return Promise.reject(this.#closedError());
    }
    const line = this.#lineOf(event);
    if (typeof line !== "string") return Promise.reject(line);
    if (this.#closed) {
      // A getter of the event closed the sink.
      this.#dropped++;
      return Promise.reject(this.#closedError());
    }
    const signal = options?.signal;
    if (
      signal !== undefined && typeof signal?.addEventListener !== "function"
    ) {
      this.#dropped++;
      return Promise.reject(
        new TypeError(
          `calltrail: send()'s signal option must be an AbortSignal, got ${
            describe(signal)
          }; the event was counted as dropped.`,
        ),
      );
    }
    if (signal?.aborted) {
      this.#dropped++;
      return Promise.reject(signal.reason);
    }
    if (this.#waiting === 0 && this.#room() > 0) {
      this.#accept(line);
      return RESOLVED;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        line,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.line === undefined) return;
          waiter.line = undefined;
          this.#waiting--;
          this.#dropped++;
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#waiting++;
    });
  }

  /**
   * Writes what is queued now.
   *
   * @returns A promise that resolves when every event accepted before the
   * call has been written to the destination or has failed. It waits as
   * long as the destination takes, unless `close()` gives up on it (see
   * `closeTimeout`). It never rejects.
   */
  flush(): Promise<void> {
    this.#seal();
    if (this.#abandoned) return RESOLVED;
    if (this.#sealed === 0) return this.#last;
    // Settles with the last batch, or when close() gives up on it.
    return new Promise<void>((resolve) => {
      this.#flushes.add(resolve);
      this.#last.then(() => {
        this.#flushes.delete(resolve);
        resolve();
      });
    });
  }

  /**
   * Stops taking events, writes what is queued, then closes the destination
   * (unless `preventClose`). Sends still waiting for room reject. It is
   * idempotent: every call returns the same promise.
   *
   * @returns A promise that resolves when every accepted event has been
   * written or has failed and the destination is closed, or when the
   * destination made no progress for `closeTimeout` ms (the events still
   * queued then count as failed, and the destination is aborted, or only
   * released with `preventClose`). It never rejects: a failure to close the
   * destination goes to `onError`.
   */
  close(): Promise<void> {
    return this.#closing ??= this.#shutdown();
  }

  /**
   * Same as {@linkcode JsonLinesAuditSink.close}, for `await using`.
   *
   * @returns The promise of `close()`.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * How many events were lost: dropped because the queue was full or the sink
   * closed, and not handed to a fallback, plus the fallback's own drops.
   *
   * @returns The number of lost events.
   */
  drops(): number {
    let fromFallback = 0;
    try {
      fromFallback = this.#fallback?.drops() ?? 0;
    } catch {
      // A fallback that cannot count is not our loss to report.
    }
    return this.#dropped - this.#diverted + fromFallback;
  }

  /**
   * The sink's counters, as they are now.
   *
   * @returns A new object with `accepted`, `written`, `dropped`, `failed`,
   * `invalid` and `queued`.
   */
  stats(): AuditSinkStats {
    return {
      accepted: this.#accepted,
      written: this.#written,
      dropped: this.#dropped,
      failed: this.#failed,
      invalid: this.#invalid,
      queued: this.#accepted - this.#written - this.#failed,
    };
  }

  /** Whether onCall must drop: closed, sends waiting, or no room. */
  #full(): boolean {
    return this.#closed || this.#waiting > 0 || this.#room() <= 0;
  }

  /** Room left in the queue, in events, counting the batch being filled. */
  #room(): number {
    return this.#queueRoom - this.#openCount;
  }

  /** Reads the queue's desiredSize again, after it changed. */
  #queueChanged(): void {
    this.#queueRoom = this.#queue.desiredSize ?? 0;
  }

  /** The event's line, or the error that makes it invalid (counted). */
  #lineOf(event: CallEvent): string | Error {
    const line = checkedLine(event);
    if (typeof line !== "string") return this.#invalidEvent(line);
    if (line.length * 3 > this.#maxLineBytes) {
      const bytes = utf8Length(line);
      if (bytes > this.#maxLineBytes) {
        return this.#invalidEvent(
          new RangeError(
            `calltrail: the event's line is ${bytes} bytes, above maxLineBytes (${this.#maxLineBytes}). Shorten its long fields, such as outcome.message, or raise maxLineBytes.`,
          ),
        );
      }
    }
    return line;
  }

  #invalidEvent(error: Error): Error {
    this.#invalid++;
    this.#report(error);
    return error;
  }

  #accept(line: string): void {
    this.#accepted++;
    if (this.#openCount++ === 0) this.#schedule();
    this.#open += line + "\n";
    if (this.#open.length >= BATCH_CHARS || this.#room() <= 0) this.#seal();
  }

  #drop(event: CallEvent): void {
    this.#dropped++;
    const fallback = this.#fallback;
    if (fallback === undefined) {
      if (!this.#overflowSeen && !this.#closed) this.#overflowed();
      return;
    }
    if (this.#closeCalled) return;
    this.#diverted++;
    try {
      fallback.onCall(event);
    } catch (error) {
      this.#report(
        new Error(
          `calltrail: the fallback sink threw from onCall (${
            error instanceof Error ? error.message : describe(error)
          }); an AuditSink's onCall must never throw.`,
          { cause: error },
        ),
      );
    }
  }

  /**
   * The queue is full and events are lost: tells onError, at most once a
   * second, and only once until a batch settles (so a drop rarely reads the
   * clock).
   */
  #overflowed(): void {
    this.#overflowSeen = true;
    const now = Date.now();
    if (now < this.#nextOverflowReport) return;
    this.#nextOverflowReport = now + OVERFLOW_REPORT_MS;
    this.#report(
      new Error(
        `calltrail: the queue is full (capacity ${this.#capacity}), so events are dropped: ${this.#dropped} so far (see stats().dropped). The destination is slower than the calls: raise capacity, wait for room with send(), or give a fallback sink.`,
      ),
    );
  }

  /**
   * Seals the batch being filled soon: on the next turn of the event loop
   * where there is a process (more lines share a batch), or at the end of the
   * current job on workerd and in browsers, where a request's timers may be
   * cancelled when it ends.
   */
  #schedule(): void {
    if (this.#sealPending) return;
    this.#sealPending = true;
    if (this.#useTimer) {
      try {
        this.#timer = setTimeout(this.#onTimer, 0);
        return;
      } catch {
        // Timers are forbidden here; a microtask will do.
      }
    }
    queueMicrotask(this.#onTimer);
  }

  #onTimer = (): void => {
    this.#sealPending = false;
    this.#timer = undefined;
    // While batches are on their way, let lines gather: the batch is sealed
    // when the queue has drained (group commit), in fewer, larger writes.
    if (this.#sealed === 0) this.#seal();
    else this.#sealWhenDrained = true;
  };

  /** Moves the batch being filled into the queue. */
  #seal(): void {
    const count = this.#openCount;
    if (count === 0) return;
    const batch = new Batch(this.#open, count);
    this.#open = "";
    this.#openCount = 0;
    if (this.#tail === undefined) this.#head = batch;
    else this.#tail.next = batch;
    this.#tail = batch;
    this.#sealed++;
    this.#last = this.#queue.write(batch).then(
      this.#afterBatch,
      this.#afterBatch,
    );
    this.#queueChanged();
  }

  /** The queue's sink: writes one batch; never rejects. */
  async #writeBatch(batch: Batch): Promise<void> {
    // Never touch the destination inside onCall: start on a microtask.
    await undefined;
    if (batch.handed || this.#abandoned) return; // written at exit, or given up
    batch.handed = true;
    this.#head = batch.next;
    if (this.#head === undefined) this.#tail = undefined;
    batch.next = undefined;
    const count = batch.count;
    if (this.#failure !== undefined) {
      // Reported once, when the destination failed.
      this.#failed += count;
      return;
    }
    try {
      await this.#destination.write(batch.text);
      if (this.#abandoned) return; // already counted as failed
      this.#written += count;
    } catch (error) {
      if (this.#abandoned) return;
      this.#failed += count;
      this.#destinationFailed(error, count);
    }
  }

  #destinationFailed(error: unknown, count: number): void {
    const cause = error instanceof Error ? error : new Error(describe(error));
    this.#failure = cause;
    this.#closed = true;
    const to = this.#fallback !== undefined && !this.#closeCalled
      ? "its fallback takes new events"
      : "new events are dropped";
    const queued = this.#accepted - this.#written - this.#failed;
    const rest = queued === 0
      ? ""
      : ` The ${queued} events still queued count as failed too.`;
    this.#report(
      new Error(
        `calltrail: the destination failed to write ${count} events, counted as failed (${cause.message}).${rest} The sink takes no more events: ${to}.`,
        { cause: error },
      ),
    );
    this.#rejectWaiters();
  }

  /** Admits waiting sends, in order, while there is room. */
  #afterBatch = (): void => {
    this.#onProgress?.();
    this.#overflowSeen = false;
    this.#queueChanged();
    if (--this.#sealed === 0 && this.#sealWhenDrained) {
      this.#sealWhenDrained = false;
      this.#seal();
    }
    const waiters = this.#waiters;
    while (this.#waiting > 0 && !this.#closed && this.#room() > 0) {
      const waiter = waiters[this.#waiterHead];
      waiters[this.#waiterHead++] = undefined;
      if (waiter?.line === undefined) continue; // aborted
      const line = waiter.line;
      waiter.line = undefined;
      this.#waiting--;
      waiter.signal?.removeEventListener("abort", waiter.onAbort!);
      this.#accept(line);
      waiter.resolve();
    }
    this.#compactWaiters();
  };

  #compactWaiters(): void {
    if (this.#waiting === 0) {
      this.#waiters = [];
      this.#waiterHead = 0;
    } else if (this.#waiterHead > 1024) {
      this.#waiters = this.#waiters.slice(this.#waiterHead);
      this.#waiterHead = 0;
    }
  }

  #rejectWaiters(): void {
    if (this.#waiting === 0) return;
    const error = this.#closedError();
    const waiters = this.#waiters;
    for (let i = this.#waiterHead; i < waiters.length; i++) {
      const waiter = waiters[i];
      if (waiter?.line === undefined) continue;
      waiter.line = undefined;
      this.#dropped++;
      waiter.signal?.removeEventListener("abort", waiter.onAbort!);
      waiter.reject(error);
    }
    this.#waiting = 0;
    this.#compactWaiters();
  }

  #closedError(): Error {
    if (this.#failure !== undefined) {
      return new Error(
        `calltrail: the sink's destination failed (${this.#failure.message}), so the sink takes no more events; this one was counted as dropped.`,
        { cause: this.#failure },
      );
    }
    return new Error(
      "calltrail: the sink is closed (close() was called), so this event was counted as dropped. Send events before close().",
    );
  }

  async #shutdown(): Promise<void> {
    this.#closeCalled = true;
    this.#closed = true;
    this.#rejectWaiters();
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#sealPending = false;
    }
    this.#seal();
    if (!await this.#progresses(this.#queue.close())) return this.#abandon();
    if (this.#failure !== undefined || this.#preventClose) {
      this.#destination.release();
      return;
    }
    let closed: boolean;
    try {
      closed = await this.#progresses(this.#destination.close());
    } catch (error) {
      this.#report(
        new Error(
          `calltrail: closing the destination failed (${
            error instanceof Error ? error.message : describe(error)
          }); every event was written before.`,
          { cause: error },
        ),
      );
      return;
    }
    if (!closed) {
      this.#report(
        new Error(
          `calltrail: the destination did not finish closing within closeTimeout (${this.#closeTimeout} ms); every event was written before, and close() stopped waiting.`,
        ),
      );
    }
  }

  /**
   * Whether `work` settles (true) before the destination goes
   * `closeTimeout` ms without progress (false). A settled batch is
   * progress. Rejections pass through.
   */
  #progresses(work: void | Promise<void>): Promise<boolean> {
    const done = Promise.resolve(work).then(() => true);
    const ms = this.#closeTimeout;
    if (ms > MAX_TIMER_MS) return done;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<boolean>((resolve) => {
      const arm = (): void => {
        clearTimeout(timer);
        try {
          timer = setTimeout(() => resolve(false), ms);
        } catch {
          // No timers here (a global scope on workerd): wait for ever.
        }
      };
      this.#onProgress = arm;
      arm();
    });
    const stop = (): void => {
      clearTimeout(timer);
      this.#onProgress = undefined;
    };
    done.then(stop, stop);
    return Promise.race([done, stalled]);
  }

  /** close() gives up on a stalled destination. */
  #abandon(): void {
    const queued = this.#accepted - this.#written - this.#failed;
    this.#abandoned = true;
    this.#failed += queued;
    this.#head = this.#tail = undefined;
    const fate = this.#preventClose ? "released (preventClose)" : "aborted";
    const error = new Error(
      `calltrail: the destination made no progress for closeTimeout (${this.#closeTimeout} ms), so close() gave up: the ${queued} events still queued were counted as failed and the destination was ${fate}. Raise closeTimeout if the destination is slow but alive.`,
    );
    this.#failure ??= error;
    this.#report(error);
    try {
      if (this.#preventClose) this.#destination.release();
      else this.#destination.abort(error);
    } catch {
      // Neither may throw; nothing more can be done here.
    }
    for (const resolve of this.#flushes) resolve();
    this.#flushes.clear();
  }

  #drainSync(write: (text: string) => void, finish?: () => void): void {
    if (this.#abandoned) return;
    try {
      finish?.();
    } catch (error) {
      this.#report(
        error instanceof Error ? error : new Error(describe(error)),
      );
    }
    this.#seal();
    for (let batch = this.#head; batch !== undefined; batch = batch.next) {
      batch.handed = true;
      if (this.#failure !== undefined) {
        this.#failed += batch.count;
        continue;
      }
      try {
        write(batch.text);
        this.#written += batch.count;
      } catch (error) {
        this.#failed += batch.count;
        this.#destinationFailed(error, batch.count);
      }
    }
    this.#head = this.#tail = undefined;
  }

  #report(error: Error): void {
    try {
      this.#onError(error);
    } catch {
      // onError must not throw; if it does, there is no one left to tell.
    }
  }
}

function checkCount(name: string, value: unknown, hint: string): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `calltrail: the ${name} option must be an integer >= 1, got ${
        describe(value)
      }. Leave it out to use the default, ${hint}.`,
    );
  }
}

/** UTF-8 length of a string without lone surrogates (JSON escapes them). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit < 0xd800 || unit > 0xdbff) bytes += 2;
    else {
      // A surrogate pair: 4 bytes for 2 code units.
      bytes += 2;
      i++;
    }
  }
  return bytes;
}

/** A LineDestination over a WritableStream: UTF-8 bytes, one chunk a batch. */
function encodingDestination(
  destination: WritableStream<Uint8Array>,
): LineDestination {
  if (typeof destination?.getWriter !== "function") {
    throw new TypeError(
      `calltrail: JsonLinesAuditSink needs a WritableStream<Uint8Array> destination, got ${
        describe(destination)
      }.`,
    );
  }
  if (destination.locked) {
    throw new TypeError(
      "calltrail: the destination WritableStream is locked by another writer; pass an unlocked stream, or release its writer first.",
    );
  }
  const writer = destination.getWriter();
  return {
    write: (text) => writer.write(encoder.encode(text)),
    close: () => writer.close(),
    release: () => writer.releaseLock(),
    abort: (reason) => void writer.abort(reason).catch(() => {}),
  };
}
