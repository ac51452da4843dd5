// Internal: serializeCallEvent for sinks, which must never throw: it returns
// the error instead, turning whatever a getter or proxy threw into a
// TypeError that says what happened.

import { describe } from "./_describe.ts";
import { serializeCallEvent } from "./serialize_call_event.ts";
import type { CallEvent } from "./types.ts";

/** The event's line, or the error that makes the event invalid. */
export function checkedLine(event: CallEvent): string | Error {
  try {
    return serializeCallEvent(event);
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith("calltrail:")) {
      return error;
    }
    return new TypeError(
      `calltrail: cannot write the event: reading it threw ${
        error instanceof Error ? `"${error.message}"` : describe(error)
      }. Pass a plain CallEvent object.`,
      { cause: error },
    );
  }
}
