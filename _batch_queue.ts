// Internal: the bounded queue of a JsonLinesAuditSink. Lines gather into an
// open batch; sealed batches wait in one FIFO and are written to the
// destination one at a time, in order, off the caller's path. Room is
// counted in events by a WritableStream whose highWaterMark is the capacity
// and whose chunks are the batches, sized by their number of events: its
// desiredSize is the room left, and its sink is the write pump.

import { asError } from "./_sink_errors.ts";
import { OpenBatch } from "./_open_batch.ts";
import type { QueueItem } from "./_queue_item.ts";
import { hasProcess } from "./_runtime.ts";
import type {
  Batch,
  BatchFailure,
  LineDestination,
} from "./_line_destination.ts";

/** What the queue tells the sink that owns it. */
export interface BatchQueueOwner {
  /** A batch was written or failed: there may be room again. */
  settled(): void;
  /** The destination failed for good on a batch of `count` events. */
  failed(thrown: unknown, count: number): void;
  /** The destination refused `failed` events of a batch, and goes on. */
  refused(error: Error, failed: number): void;
  /** An error to pass on to `onError`. */
  report(error: Error): void;
}

/**
 * How the destination is doing: taking batches, failed for good (later
 * batches count as failed unwritten), or abandoned by `close()`.
 */
type DestinationState = "writing" | "failed" | "abandoned";

/**
 * When the open batch is sealed, besides when it is full: nothing is
 * planned, a timer (or microtask) will seal it, or it waits until the
 * batches under way are written (group commit: fewer, larger writes).
 */
type SealPlan = "none" | "timer" | "after-drain";

const RESOLVED: Promise<void> = Promise.resolve();

/** The queue: an open batch, a FIFO of sealed ones, and the write pump. */
export class BatchQueue {
  readonly #destination: LineDestination;
  readonly #owner: BatchQueueOwner;
  readonly #batchChars: number;
  readonly #writer: WritableStreamDefaultWriter<Batch>;
  readonly #useTimer = hasProcess();

  #state: DestinationState = "writing";
  #plan: SealPlan = "none";
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The batch being filled. */
  readonly #open: OpenBatch;
  /** The stream's desiredSize, read again whenever it changes. */
  #room: number;
  /** Sealed batches not yet handed to the destination, oldest first. */
  readonly #fifo: Batch[] = [];
  /** Sealed batches not yet written or failed. */
  #unsettled = 0;
  /**
   * Each sealed batch not yet written or failed, and what resolves when it
   * is (or when the queue is abandoned): what flush() waits for.
   */
  readonly #settling = new Map<
    Batch,
    { readonly done: Promise<void>; readonly resolve: () => void }
  >();
  /** How many batches the destination may write at once. */
  readonly #concurrency: number;
  /**
   * Batches the stream handed on that the destination is still writing,
   * with more than one at once: they left the stream's count, so their
   * events are counted here, and room subtracts them.
   */
  readonly #detached = new Set<Batch>();
  #detachedEvents = 0;
  /** Detached batches whose stream chunk has not yet ended. */
  readonly #dispatched = new Set<Batch>();
  /** Pumps waiting for one of the concurrent writes to end. */
  #slotWaiters: (() => void)[] = [];

  #accepted = 0;
  #written = 0;
  #failed = 0;

  /**
   * @param destination Where batches go.
   * @param capacity How many events the queue holds, counting the batch
   * being written.
   * @param batchChars A batch is sealed once its text is this long.
   * @param owner The sink to tell.
   */
  constructor(
    destination: LineDestination,
    capacity: number,
    batchChars: number,
    owner: BatchQueueOwner,
  ) {
    this.#destination = destination;
    this.#owner = owner;
    this.#batchChars = batchChars;
    this.#writer = new WritableStream<Batch>(
      { write: (batch) => this.#pump(batch) },
      { highWaterMark: capacity, size: (batch) => batch.count },
    ).getWriter();
    this.#room = capacity;
    this.#open = new OpenBatch(
      destination.deferLines === true,
      destination.acceptTimes === true,
    );
    this.#concurrency = Math.max(1, Math.trunc(destination.concurrency ?? 1));
  }

  /** Events taken into the queue. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Accepted events whose write resolved. */
  get written(): number {
    return this.#written;
  }

  /** Accepted events whose write failed, or that were given up on. */
  get failed(): number {
    return this.#failed;
  }

  /** Accepted events not yet written or failed. */
  get queued(): number {
    return this.#accepted - this.#written - this.#failed;
  }

  /** Room left, in events, counting the open batch. */
  room(): number {
    return this.#room - this.#open.count;
  }

  /**
   * Takes one event: its line, or (for a destination that defers lines) a
   * checked copy. The caller checked that there is room.
   */
  push(item: QueueItem): void {
    this.#accepted++;
    if (this.#open.count === 0 && this.#plan === "none") {
      this.#plan = this.#schedule();
    }
    const chars = this.#open.add(item);
    if (chars >= this.#batchChars || this.room() <= 0) this.seal();
  }

  /** Moves the open batch into the FIFO and the stream. */
  seal(): void {
    if (this.#open.count === 0) return;
    const batch = this.#open.take();
    this.#fifo.push(batch);
    this.#unsettled++;
    let resolve = (): void => {};
    const done = new Promise<void>((settle) => resolve = settle);
    this.#settling.set(batch, { done, resolve });
    const left = () => this.#leftStream(batch);
    this.#writer.write(batch).then(left, left);
    this.#readRoom();
    if (this.#destination.prepare !== undefined) {
      queueMicrotask(() => this.#destination.prepare!(batch));
    }
  }

  /**
   * Seals the open batch and waits for it.
   *
   * @returns A promise that resolves when every batch sealed so far was
   * written or failed, or when the queue is abandoned.
   */
  flushed(): Promise<void> {
    this.seal();
    if (this.#settling.size === 0) return RESOLVED;
    return Promise.all([...this.#settling.values()].map((s) => s.done))
      .then(() => {});
  }

  /**
   * Seals the open batch and takes no more.
   *
   * @returns A promise that resolves when every batch was written or failed.
   */
  close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#plan = "none";
    this.seal();
    return this.#writer.close().then(() => this.flushed());
  }

  /** Closes the destination. */
  closeDestination(): void | Promise<void> {
    return this.#destination.close();
  }

  /** Lets go of the destination without closing it. */
  releaseDestination(): void {
    this.#destination.release();
  }

  /**
   * Gives up on a destination that stalled: the events still queued count
   * as failed, later writes are not waited for, waiting flushes resolve,
   * and the destination is aborted, or only released when `release`.
   *
   * @returns How many events were still queued.
   */
  abandon(reason: Error, release: boolean): number {
    const queued = this.queued;
    this.#state = "abandoned";
    this.#failed += queued;
    this.#fifo.length = 0;
    this.#open.take();
    this.#settleAll();
    try {
      if (release) this.#destination.release();
      else this.#destination.abort(reason);
    } catch {
      // Neither may throw; nothing more can be done here.
    }
    return queued;
  }

  /**
   * When the process exits: runs `finish` (which completes a write under
   * way), then writes synchronously, with `write`, every batch not yet
   * handed to the destination, and the open one: its text and how many
   * lines it holds.
   */
  drainSync(
    write: (text: string, count: number) => void,
    finish?: () => void,
  ): void {
    if (this.#state === "abandoned") return;
    try {
      finish?.();
    } catch (error) {
      this.#owner.report(asError(error));
    }
    if (this.#open.count > 0) this.#fifo.push(this.#open.take());
    const drained = this.#fifo.splice(0);
    for (const batch of drained) {
      if (this.#state === "failed") {
        this.#failed += batch.count;
        continue;
      }
      try {
        write(batch.text, batch.count);
        this.#written += batch.count;
      } catch (error) {
        this.#fail(error, batch.count);
      }
    }
    this.#settleAll();
  }

  /** Resolves what flush() waits for: every batch is done with. */
  #settleAll(): void {
    for (const wake of this.#slotWaiters.splice(0)) wake();
    for (const { resolve } of this.#settling.values()) resolve();
    this.#settling.clear();
  }

  /** Seals the open batch soon; see {@linkcode SealPlan}. */
  #schedule(): SealPlan {
    // Where there is a process, on the next turn of the event loop (more
    // lines share a batch); on workerd and in browsers, at the end of the
    // current job, as a request's timers may be cancelled when it ends.
    if (this.#useTimer) {
      try {
        this.#timer = setTimeout(this.#onTimer, 0);
        return "timer";
      } catch {
        // Timers are forbidden here; a microtask will do.
      }
    }
    queueMicrotask(this.#onTimer);
    return "timer";
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#plan !== "timer") return; // close() sealed it
    if (this.#unsettled === 0) {
      this.#plan = "none";
      this.seal();
    } else this.#plan = "after-drain";
  };

  /** Reads the room again: the stream's, less the detached batches'. */
  #readRoom(): void {
    this.#room = (this.#writer.desiredSize ?? 0) - this.#detachedEvents;
  }

  /**
   * A batch left the stream: written (one at a time), handed to the
   * destination (several at once), or skipped (drained at exit, given up).
   */
  #leftStream(batch: Batch): void {
    this.#readRoom();
    if (this.#dispatched.delete(batch)) this.#owner.settled();
    else this.#settled(batch);
  }

  /** A batch was written or failed (or will never be). */
  #settled(batch: Batch): void {
    if (this.#detached.delete(batch)) {
      this.#detachedEvents -= batch.count;
      this.#slotWaiters.shift()?.();
      this.#readRoom();
    }
    this.#settling.get(batch)?.resolve();
    this.#settling.delete(batch);
    if (--this.#unsettled === 0 && this.#plan === "after-drain") {
      this.#plan = "none";
      this.seal();
    }
    this.#owner.settled();
  }

  /**
   * The stream's sink: writes the FIFO's oldest batch. Never rejects. With
   * a destination that takes several batches at once, it returns once the
   * write has started (a slot was free), and the batch settles later.
   */
  async #pump(batch: Batch): Promise<void> {
    // Never touch the destination inside onCall: start on a microtask.
    await undefined;
    // Wait for a free slot with the batch still in the FIFO, where the exit
    // drain finds it.
    while (
      this.#detached.size >= this.#concurrency && this.#fifo[0] === batch
    ) {
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    // Written at exit, or given up on.
    if (this.#fifo[0] !== batch) return;
    this.#fifo.shift();
    if (this.#state === "failed") {
      // Reported once, when the destination failed.
      this.#failed += batch.count;
      return;
    }
    if (this.#concurrency === 1) return this.#write(batch);
    this.#detached.add(batch);
    this.#dispatched.add(batch);
    this.#detachedEvents += batch.count;
    this.#write(batch).then(() => this.#settled(batch));
  }

  /** Writes one batch to the destination and counts it. Never rejects. */
  async #write(batch: Batch): Promise<void> {
    let failure: void | BatchFailure;
    try {
      failure = await this.#destination.write(batch);
    } catch (error) {
      if (this.#state !== "abandoned") this.#fail(error, batch.count);
      return;
    }
    if (this.#state === "abandoned") return; // already counted as failed
    const failed = failure === undefined
      ? 0
      : Math.min(Math.max(Math.trunc(failure.failed) || 0, 0), batch.count);
    this.#written += batch.count - failed;
    this.#failed += failed;
    if (failed > 0) this.#owner.refused(failure!.error, failed);
  }

  #fail(thrown: unknown, count: number): void {
    this.#failed += count;
    this.#state = "failed";
    this.#owner.failed(thrown, count);
  }
}
