// Internal: serializeCallEvent for sinks, which must never throw: it returns
// the error instead, turning whatever a getter or proxy threw into a
// TypeError that says what happened, without touching the thrown value
// (which may itself be a hostile proxy or have a throwing `message`).

import { describe } from "./_describe.ts";
import { eventErrors, serializeCallEvent } from "./serialize_call_event.ts";
import type { CallEvent } from "./types.ts";

/** The event's line, or the error that makes the event invalid. */
export function checkedLine(event: CallEvent): string | Error {
  try {
    return serializeCallEvent(event);
  } catch (error) {
    if (eventErrors.has(error as Error)) return error as Error;
    return new TypeError(
      `calltrail: cannot write the event: reading it threw ${
        thrownMessage(error)
      }. Pass a plain CallEvent object.`,
      { cause: error },
    );
  }
}

/** The thrown value's message, quoted, if reading it is safe; else a description. */
function thrownMessage(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const message = Object.getOwnPropertyDescriptor(thrown, "message")?.value;
      if (typeof message === "string") return JSON.stringify(message);
    }
  } catch {
    // A proxy that throws from its traps: describe it without reading it.
  }
  return describe(thrown);
}
