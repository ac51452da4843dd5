// Internal: the batch a queue is filling. Its lines gather into one text;
// for a destination that defers lines, its items (checked copies, or lines)
// gather instead, and their text is written when the sealed batch is first
// read (see _queue_item.ts). With `acceptTimes`, it notes when each event
// was accepted.

import type { Batch } from "./_line_destination.ts";
import { ItemBatch, itemChars, type QueueItem } from "./_queue_item.ts";

/** The batch being filled, until it is taken. */
export class OpenBatch {
  readonly #deferLines: boolean;
  readonly #acceptTimes: boolean;
  #text = "";
  #items: QueueItem[] = [];
  /** About how many characters the items' lines take. */
  #chars = 0;
  #count = 0;
  #times: number[] = [];

  /**
   * @param deferLines Whether it holds items rather than their lines.
   * @param acceptTimes Whether it notes when each event was accepted.
   */
  constructor(deferLines: boolean, acceptTimes: boolean) {
    this.#deferLines = deferLines;
    this.#acceptTimes = acceptTimes;
  }

  /** How many events it holds. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one event: its line, or (when deferring lines) its item.
   *
   * @returns About how many characters the batch's text takes now.
   */
  add(item: QueueItem): number {
    this.#count++;
    if (this.#acceptTimes) this.#times.push(Date.now());
    if (!this.#deferLines) {
      return (this.#text += (item as string) + "\n").length;
    }
    this.#items.push(item);
    return this.#chars += itemChars(item);
  }

  /** Its events as a Batch; it is empty again. */
  take(): Batch {
    const count = this.#count;
    const times = this.#acceptTimes ? this.#times : undefined;
    let batch: Batch;
    if (this.#deferLines) {
      batch = new ItemBatch(this.#items, times);
      this.#items = [];
      this.#chars = 0;
    } else {
      batch = times === undefined
        ? { text: this.#text, count }
        : { text: this.#text, count, times };
      this.#text = "";
    }
    this.#count = 0;
    if (times !== undefined) this.#times = [];
    return batch;
  }
}
