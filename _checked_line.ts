// Internal: serializeCallEvent for sinks, which must never throw: it returns
// the error instead. Whatever a getter or proxy threw becomes a TypeError
// that says what happened, without touching the thrown value beyond
// errorMessage (it may itself be a hostile proxy or have a throwing
// `message`). A line longer than `maxLineBytes` UTF-8 bytes is an error too.

import { errorMessage } from "./_error_message.ts";
import { lineTooLong } from "./_sink_errors.ts";
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
  let line: string;
  try {
    line = serializeCallEvent(event);
  } catch (error) {
    if (eventErrors.has(error as Error)) return error as Error;
    return new TypeError(
      `calltrail: cannot write the event: reading it threw (${
        errorMessage(error)
      }). Pass a plain CallEvent object.`,
      { cause: error },
    );
  }
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: most lines need no count.
  if (line.length * 3 > maxLineBytes) {
    const bytes = utf8Length(line);
    if (bytes > maxLineBytes) return lineTooLong(bytes, maxLineBytes);
  }
  return line;
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
