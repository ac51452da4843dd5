// Internal: serializeCallEvent for sinks, which must never throw: it returns
// the error instead. Whatever a getter or proxy threw becomes a TypeError
// that says what happened, without touching the thrown value beyond
// errorMessage (it may itself be a hostile proxy or have a throwing
// `message`). A line longer than `maxLineBytes` UTF-8 bytes is an error too.

import { errorMessage } from "./_error_message.ts";
import { lineTooLong } from "./_sink_errors.ts";
import { utf8Length } from "./_utf8_length.ts";
import { eventErrors, serializeCallEvent } from "./serialize_call_event.ts";
import type { CallEvent } from "./types.ts";

/**
 * The event's line, or the error that makes the event invalid.
 *
 * @param event Whatever the sink was given.
 * @param maxLineBytes The longest line, in UTF-8 bytes without its newline.
 * @returns The line, without its newline, or the error.
 */
export function checkedLine(
  event: CallEvent,
  maxLineBytes: number = Infinity,
): string | Error {
  const line = checked(serializeCallEvent, event);
  if (typeof line !== "string") return line;
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: most lines need no count.
  if (line.length * 3 > maxLineBytes) {
    const bytes = utf8Length(line);
    if (bytes > maxLineBytes) return lineTooLong(bytes, maxLineBytes);
  }
  return line;
}

/**
 * `read(event)`, or the error that makes the event invalid: the checks'
 * own TypeError, or one that says a getter or proxy of the event threw.
 *
 * @param read What reads the event: serializeCallEvent, or checkedCopy.
 * @param event Whatever the sink was given.
 * @returns What `read` returned, or the error.
 */
export function checked<T>(
  read: (event: CallEvent) => T,
  event: CallEvent,
): T | Error {
  try {
    return read(event);
  } catch (error) {
    if (eventErrors.has(error as Error)) return error as Error;
    return new TypeError(
      `calltrail: cannot write the event: reading it threw (${
        errorMessage(error)
      }). Pass a plain CallEvent object.`,
      { cause: error },
    );
  }
}
