// Shared by tests/sinks/file_test.ts and kill_child.ts: the events the
// SIGKILL child writes. Every 500th is large (an invalid_args message of
// about 100 KiB, with multi-byte characters), so that some batches are big
// enough to be caught by the kill in the middle of their write.

import type { CallEvent } from "../../../mod.ts";
import { makeEvent } from "./events.ts";

/** How often an event is large: events 499, 999, 1499... */
export const LARGE_EVERY = 500;

/** Event number `i` of the SIGKILL child, the same in every process. */
export function killEvent(i: number): CallEvent {
  const event = makeEvent(i);
  if (i % LARGE_EVERY === LARGE_EVERY - 1) {
    // 15,000 × 7 bytes on the line ("é" is 2 UTF-8 bytes, "\n" and '"' are
    // escaped to 2, "x" is 1): about 100 KiB.
    event.outcome = {
      kind: "invalid_args",
      message: `#${i}:` + 'é\n"x'.repeat(15_000),
    };
  }
  return event;
}
