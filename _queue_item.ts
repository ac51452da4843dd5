// Internal: what a sink's queue holds for an event. Over most destinations,
// its line, serialized in onCall. Over a destination that asks for it
// (`deferLines`: the HTTP sinks), a checked copy of the event instead, whose
// line is written when its batch is, off the caller's path: onCall then
// costs the checks and the copy, not the serialization. Either way what is
// written is what was checked, whatever the caller does to the event later.

import { checked, checkedLine } from "./_checked_line.ts";
import type { Batch } from "./_line_destination.ts";
import { checkedCopy, serializeCallEvent } from "./serialize_call_event.ts";
import type { CallEvent } from "./types.ts";

/** An event in a queue: its line, or a checked copy of it. */
export type QueueItem = string | CallEvent;

/**
 * A checked copy of `event`, or its line when the line might be longer
 * than `maxLineBytes` (which only serializing it tells) or the event carries
 * a capability provenance; or the error that makes the event invalid, as
 * {@linkcode checkedLine} gives it.
 */
export function checkedItem(
  event: CallEvent,
  maxLineBytes: number,
): QueueItem | Error {
  const copy = checked(checkedCopy, event);
  if (copy instanceof Error) return copy;
  // A character of a value takes at most 6 bytes once escaped, and the
  // keys and numbers fit in the 200 characters itemChars counts for them.
  if (
    copy.capability_provenance === undefined &&
    itemChars(copy) * 6 <= maxLineBytes
  ) {
    return copy;
  }
  return checkedLine(copy, maxLineBytes);
}

/** The line of `item`, without its newline. */
export function itemLine(item: QueueItem): string {
  return typeof item === "string" ? item : serializeCallEvent(item);
}

/**
 * About how many characters the line of `item` takes with its newline (at
 * least the line's values): what the queue counts to seal its batches.
 */
export function itemChars(item: QueueItem): number {
  if (typeof item === "string") return item.length + 1;
  // onCall counts a copy twice, to check its bound, then to queue it: the
  // count of the last copy is kept (copies are never changed).
  if (item === lastCopy) return lastChars;
  let n = 200 + item.ts.length + item.call_id.length + item.tool_id.length +
    (item.caller_id?.length ?? 0) + item.tier.length;
  const capabilities = item.granted_capabilities;
  for (let i = 0; i < capabilities.length; i++) n += capabilities[i].length + 3;
  const outcome = item.outcome;
  if (outcome.kind === "invalid_args") n += outcome.message.length;
  else if (outcome.kind === "execution_failed") n += outcome.code.length;
  else if (outcome.kind === "capability_denied") {
    for (let i = 0; i < outcome.missing.length; i++) {
      n += outcome.missing[i].length + 3;
    }
  }
  lastCopy = item;
  return lastChars = n;
}

let lastCopy: CallEvent | undefined;
let lastChars = 0;

/**
 * A batch of items whose text is written the first time it is read (by the
 * destination, off the caller's path), then kept.
 */
export class ItemBatch implements Batch {
  readonly count: number;
  readonly times?: readonly number[];
  #items: QueueItem[] | undefined;
  #text: string | undefined = undefined;

  constructor(items: QueueItem[], times?: readonly number[]) {
    this.#items = items;
    this.count = items.length;
    if (times !== undefined) this.times = times;
  }

  /** Whole lines, each ended by "\n". */
  get text(): string {
    if (this.#text === undefined) {
      const items = this.#items!;
      const lines = new Array<string>(items.length);
      for (let i = 0; i < items.length; i++) lines[i] = itemLine(items[i]);
      this.#text = lines.join("\n") + "\n";
      this.#items = undefined;
    }
    return this.#text;
  }
}
