// Internal: the message of any thrown value, read safely. A sink reports
// what a fallback, a fan-out member, a destination or a getter threw, and
// that value may be anything: a string, a proxy whose traps throw, an Error
// whose `message` getter throws or calls back into the sink. Reading it must
// never throw, and should call as little foreign code as it can.

import { describe } from "./_describe.ts";

/** The platform's own `message` getter of DOMException, when it has one. */
function domExceptionMessage(thrown: object): string | undefined {
  if (typeof DOMException !== "function") return undefined;
  if (!(thrown instanceof DOMException)) return undefined;
  const getter = Object.getOwnPropertyDescriptor(
    DOMException.prototype,
    "message",
  )?.get;
  const message = getter?.call(thrown);
  return typeof message === "string" ? message : undefined;
}

/**
 * The message of `thrown`, for an error report. For an `Error`, its own
 * `message` as a data property (a getter is never called); for a
 * `DOMException` (an `AbortSignal`'s reason, say), the platform's message;
 * for an Error with neither, `an Error whose message is unreadable`; for
 * anything else, a short description from {@linkcode describe}, such as
 * `the string "boom"`. It never throws.
 *
 * @param thrown Whatever was thrown.
 * @returns A one-line message.
 */
export function errorMessage(thrown: unknown): string {
  if (typeof thrown === "object" && thrown !== null) {
    try {
      const own = Object.getOwnPropertyDescriptor(thrown, "message")?.value;
      if (typeof own === "string") return own;
      const platform = domExceptionMessage(thrown);
      if (platform !== undefined) return platform;
      if (thrown instanceof Error) {
        return "an Error whose message is unreadable";
      }
    } catch {
      // A proxy whose traps throw: describe it without reading it.
    }
  }
  return describe(thrown);
}
