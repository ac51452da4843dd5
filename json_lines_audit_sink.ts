import { BatchQueue } from "./_batch_queue.ts";
import { checkedLine } from "./_checked_line.ts";
import { checkedItem, type QueueItem } from "./_queue_item.ts";
import { destinationOf } from "./_line_destination.ts";
import { OverflowReport } from "./_overflow_report.ts";
import { SendQueue } from "./_send_queue.ts";
import {
  abandoned,
  asError,
  badSignal,
  closedError,
  closeFailed,
  closeStalled,
  destinationFailed,
  fallbackDropsThrew,
  fallbackThrew,
  refusedBatches,
} from "./_sink_errors.ts";
import { type SinkSettings, sinkSettings } from "./_sink_settings.ts";
import { StallWatch } from "./_stall_watch.ts";
import { ThrottledReport } from "./_throttled_report.ts";
import type { AuditSink } from "./audit_sink.ts";
import type { AuditSinkStats } from "./audit_sink_stats.ts";
import type {
  JsonLinesAuditSinkOptions,
  SendOptions,
} from "./json_lines_audit_sink_options.ts";
import type { CallEvent } from "./types.ts";

/** Lines are written in batches of about this many UTF-16 code units. */
const BATCH_CHARS = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Where a sink is in its life:
 * - `open`: it takes events;
 * - `failed`: its destination failed for good, so it takes no more (its
 *   `fallback` does);
 * - `closing`: `close()` was called and waits for the queue and the
 *   destination;
 * - `closed`: `close()` is done;
 * - `abandoned`: `close()` gave up on a destination that made no progress.
 */
type SinkState = "open" | "failed" | "closing" | "closed" | "abandoned";

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
 * const sink = new JsonLinesAuditSink(new WritableStream(), { capacity: 4 });
 * try {
 *   for (let i = 0; i < 100; i++) {
 *     await sink.send(createCallEvent({
 *       call_id: `call-${i}`,
 *       tool_id: "ref:echo.say",
 *       duration_ms: 0,
 *       outcome: { kind: "success" },
 *       tier: "hot",
 *     }));
 *   }
 * } finally {
 *   await sink.close();
 * }
 * assert(sink.drops() === 0);
 * ```
 */
export class JsonLinesAuditSink implements AuditSink, AsyncDisposable {
  readonly #settings: SinkSettings;
  readonly #queue: BatchQueue;
  /**
   * What the queue takes of an event: its line, or a checked copy for a
   * destination that defers lines; or the error that makes it invalid.
   */
  readonly #checked: (event: CallEvent) => QueueItem | Error;
  readonly #sends: SendQueue;
  readonly #watch: StallWatch;
  readonly #overflow: OverflowReport;
  /** The batches the destination refused, told at most once a second. */
  readonly #refusals: ThrottledReport;
  #state: SinkState = "open";
  /** Why the sink stopped taking events early: its destination's failure. */
  #failure: Error | undefined = undefined;
  #closing: Promise<void> | undefined = undefined;
  #dropped = 0;
  #diverted = 0;
  #invalid = 0;

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
    const settings = this.#settings = sinkSettings(options);
    const lines = destinationOf(destination);
    const { maxLineBytes } = settings;
    this.#checked = lines.deferLines === true
      ? (event) => checkedItem(event, maxLineBytes)
      : (event) => checkedLine(event, maxLineBytes);
    const queue = this.#queue = new BatchQueue(
      lines,
      settings.capacity,
      lines.batchChars ?? BATCH_CHARS,
      {
        settled: this.#settled,
        failed: this.#destinationFailed,
        refused: (error, failed) => this.#refusals.add(error, failed),
        report: this.#report,
      },
    );
    this.#sends = new SendQueue(() => void this.#dropped++);
    this.#watch = new StallWatch(settings.closeTimeout);
    this.#overflow = new OverflowReport(settings.capacity, this.#report);
    this.#refusals = new ThrottledReport(this.#report, refusedBatches);
    lines.attach?.({
      drainSync: (write, finish) => queue.drainSync(write, finish),
      report: this.#report,
    });
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
    const item = this.#checked(event);
    if (item instanceof Error) return void this.#invalidEvent(item);
    // A getter of the event may have called back into the sink (close(),
    // another onCall): look again before taking the item.
    if (this.#full()) return this.#drop(event);
    this.#queue.push(item);
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
    if (this.#state !== "open") {
      return this.#turnAway(closedError(this.#failure));
    }
    const item = this.#checked(event);
    if (item instanceof Error) return Promise.reject(this.#invalidEvent(item));
    // A getter of the event may have closed the sink.
    if (this.#state !== "open") {
      return this.#turnAway(closedError(this.#failure));
    }
    let signal: AbortSignal | undefined;
    try {
      signal = options?.signal;
      if (
        signal !== undefined && typeof signal?.addEventListener !== "function"
      ) {
        return this.#turnAway(badSignal(signal));
      }
      if (signal?.aborted) return this.#turnAway(signal.reason);
    } catch (error) {
      // Options or a signal whose getters throw.
      return this.#turnAway(error);
    }
    if (this.#sends.waiting === 0 && this.#queue.room() > 0) {
      this.#queue.push(item);
      return RESOLVED;
    }
    return this.#sends.wait(item, signal);
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
    return this.#queue.flushed();
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
   * closed, and not taken by a fallback (`stats().dropped -
   * stats().diverted`), plus the fallback's own drops.
   *
   * @returns The number of lost events.
   */
  drops(): number {
    let fromFallback = 0;
    try {
      fromFallback = this.#settings.fallback?.drops() ?? 0;
    } catch (error) {
      this.#report(fallbackDropsThrew(error));
    }
    return this.#dropped - this.#diverted + fromFallback;
  }

  /**
   * The sink's counters, as they are now.
   *
   * @returns A new object with `accepted`, `written`, `dropped`, `diverted`,
   * `failed`, `invalid` and `queued`.
   */
  stats(): AuditSinkStats {
    const queue = this.#queue;
    return {
      accepted: queue.accepted,
      written: queue.written,
      dropped: this.#dropped,
      diverted: this.#diverted,
      failed: queue.failed,
      invalid: this.#invalid,
      queued: queue.queued,
    };
  }

  /** Whether onCall must drop: not open, sends waiting, or no room. */
  #full(): boolean {
    return this.#state !== "open" || this.#sends.waiting > 0 ||
      this.#queue.room() <= 0;
  }

  #invalidEvent(error: Error): Error {
    this.#invalid++;
    this.#report(error);
    return error;
  }

  #drop(event: CallEvent): void {
    this.#dropped++;
    const state = this.#state;
    const fallback = this.#settings.fallback;
    if (fallback !== undefined && (state === "open" || state === "failed")) {
      try {
        fallback.onCall(event);
        this.#diverted++;
      } catch (error) {
        this.#report(fallbackThrew(error));
      }
    } else if (state === "open") this.#overflow.drop();
  }

  /** A send the sink cannot take: counted as dropped, rejected. */
  #turnAway(reason: unknown): Promise<void> {
    this.#dropped++;
    return Promise.reject(reason);
  }

  /** Lets waiting sends in, in order, while there is room. */
  #settled = (): void => {
    this.#watch.progress();
    this.#overflow.rearm();
    if (this.#sends.waiting > 0) this.#sends.admit(this.#hasRoom, this.#take);
  };

  #hasRoom = (): boolean => this.#state === "open" && this.#queue.room() > 0;

  #take = (item: QueueItem): void => this.#queue.push(item);

  #destinationFailed = (thrown: unknown, count: number): void => {
    this.#failure = asError(thrown);
    const wasOpen = this.#state === "open";
    if (wasOpen) this.#state = "failed";
    this.#report(
      destinationFailed(
        thrown,
        count,
        this.#queue.queued,
        wasOpen && this.#settings.fallback !== undefined,
      ),
    );
    this.#dropped += this.#sends.rejectAll(closedError(this.#failure));
  };

  async #shutdown(): Promise<void> {
    this.#state = "closing";
    const { closeTimeout, preventClose } = this.#settings;
    this.#dropped += this.#sends.rejectAll(closedError(undefined));
    if (!await this.#watch.watch(this.#queue.close())) {
      this.#state = "abandoned";
      const reason = abandoned(closeTimeout, this.#queue.queued, preventClose);
      this.#failure ??= reason;
      this.#queue.abandon(reason, preventClose);
      this.#refusals.flush();
      return this.#report(reason);
    }
    try {
      if (this.#failure !== undefined || preventClose) {
        this.#queue.releaseDestination();
      } else if (!await this.#watch.watch(this.#queue.closeDestination())) {
        this.#report(closeStalled(closeTimeout));
      }
    } catch (error) {
      this.#report(closeFailed(error));
    }
    this.#refusals.flush();
    this.#state = "closed";
  }

  #report = (error: Error): void => {
    try {
      this.#settings.onError(error);
    } catch {
      // onError must not throw; if it does, there is no one left to tell.
    }
  };
}
