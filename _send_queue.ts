// Internal: the `send()` calls of a JsonLinesAuditSink that wait for room,
// in the order they came. Each holds its item (the line, or checked copy,
// taken at the call) until the sink admits it, or until its signal aborts or
// the sink turns it away.

import type { QueueItem } from "./_queue_item.ts";

/** A waiting send. `item` is `undefined` once it was settled. */
interface Waiter {
  item: QueueItem | undefined;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Compact the array once this many settled waiters lead it. */
const COMPACT_AFTER = 1024;

/** A FIFO of waiting sends. */
export class SendQueue {
  #waiters: (Waiter | undefined)[] = [];
  #head = 0;
  #waiting = 0;
  readonly #onAbort: () => void;

  /**
   * @param onAbort Called when a waiting send gives up because its signal
   * aborted (the sink counts the event as dropped).
   */
  constructor(onAbort: () => void) {
    this.#onAbort = onAbort;
  }

  /** How many sends are waiting. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Waits for room for `item`.
   *
   * @returns A promise that resolves when the item is admitted, and rejects
   * with the signal's reason when `signal` aborts first, or with the error
   * of {@linkcode SendQueue.rejectAll}.
   */
  wait(item: QueueItem, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        item,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.item === undefined) return;
          waiter.item = undefined;
          this.#waiting--;
          this.#onAbort();
          reject(signal.reason);
        };
        try {
          signal.addEventListener("abort", waiter.onAbort, { once: true });
        } catch (error) {
          // A look-alike signal whose addEventListener throws.
          this.#onAbort();
          return reject(error);
        }
      }
      this.#waiters.push(waiter);
      this.#waiting++;
    });
  }

  /**
   * Hands waiting items to `take`, oldest first, while `hasRoom()` says
   * there is room, and resolves their sends.
   */
  admit(hasRoom: () => boolean, take: (item: QueueItem) => void): void {
    const waiters = this.#waiters;
    while (this.#waiting > 0 && hasRoom()) {
      const waiter = waiters[this.#head];
      waiters[this.#head++] = undefined;
      if (waiter?.item === undefined) continue; // aborted
      const item = waiter.item;
      this.#settle(waiter);
      take(item);
      waiter.resolve();
    }
    this.#compact();
  }

  /**
   * Rejects every waiting send with `error`.
   *
   * @returns How many were waiting.
   */
  rejectAll(error: Error): number {
    const rejected = this.#waiting;
    if (rejected === 0) return 0;
    const waiters = this.#waiters;
    for (let i = this.#head; i < waiters.length; i++) {
      const waiter = waiters[i];
      if (waiter?.item === undefined) continue;
      this.#settle(waiter);
      waiter.reject(error);
    }
    this.#compact();
    return rejected;
  }

  #settle(waiter: Waiter): void {
    waiter.item = undefined;
    this.#waiting--;
    if (waiter.onAbort === undefined) return;
    try {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
    } catch {
      // A look-alike signal: its listener stays, and finds the send settled.
    }
  }

  #compact(): void {
    if (this.#waiting === 0) {
      this.#waiters = [];
      this.#head = 0;
    } else if (this.#head > COMPACT_AFTER) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
  }
}
