// Internal: every error a JsonLinesAuditSink reports or rejects with, in one
// place. Each says what happened, with which value, and what to do.

import { describe } from "./_describe.ts";
import { errorMessage } from "./_error_message.ts";

/** An option of the wrong type or range, at construction. */
export function optionError(
  name: string,
  expected: string,
  value: unknown,
  hint: string,
): RangeError {
  return new RangeError(
    `calltrail: the ${name} option must be ${expected}, got ${
      describe(value)
    }. ${hint}`,
  );
}

/**
 * Throws the optionError of `name` unless `value` is an integer >= 1;
 * `hint` says what to do.
 */
export function checkCount(name: string, value: unknown, hint: string): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw optionError(name, "an integer >= 1", value, hint);
  }
}

/** A fallback that threw from `onCall`: its event is lost. */
export function fallbackThrew(thrown: unknown): Error {
  return new Error(
    `calltrail: the fallback sink threw from onCall (${
      errorMessage(thrown)
    }), so its event was lost (counted in drops()); an AuditSink's onCall must never throw.`,
    { cause: thrown },
  );
}

/** A fallback whose `drops()` threw: its losses are unknown. */
export function fallbackDropsThrew(thrown: unknown): Error {
  return new Error(
    `calltrail: the fallback sink threw from drops() (${
      errorMessage(thrown)
    }), so its losses are left out of this sink's drops(); an AuditSink's drops() must never throw.`,
    { cause: thrown },
  );
}

/** The queue is full and events are being dropped. */
export function overflowed(
  capacity: number,
  sinceLastReport: number,
  total: number,
): Error {
  return new Error(
    `calltrail: the queue is full (capacity ${capacity}), so events are dropped: ${sinceLastReport} since the last report, ${total} in all (see stats().dropped). The destination is slower than the calls: raise capacity, wait for room with send(), or give a fallback sink.`,
  );
}

/** The destination failed for good: the sink takes no more events. */
export function destinationFailed(
  thrown: unknown,
  count: number,
  queued: number,
  hasFallback: boolean,
): Error {
  const rest = queued === 0
    ? ""
    : ` The ${queued} events still queued count as failed too.`;
  const to = hasFallback
    ? "its fallback takes new events"
    : "new events are dropped";
  return new Error(
    `calltrail: the destination failed to write ${count} events, counted as failed (${
      errorMessage(thrown)
    }).${rest} The sink takes no more events: ${to}.`,
    { cause: thrown },
  );
}

/** Why a `send` was turned away: the sink closed, or its destination failed. */
export function closedError(failure: Error | undefined): Error {
  if (failure !== undefined) {
    return new Error(
      `calltrail: the sink's destination failed (${
        errorMessage(failure)
      }), so the sink takes no more events; this one was counted as dropped.`,
      { cause: failure },
    );
  }
  return new Error(
    "calltrail: the sink is closed (close() was called), so this event was counted as dropped. Send events before close().",
  );
}

/** `send()` was given a signal that is not an AbortSignal. */
export function badSignal(signal: unknown): TypeError {
  return new TypeError(
    `calltrail: send()'s signal option must be an AbortSignal, got ${
      describe(signal)
    }; the event was counted as dropped.`,
  );
}

/** Closing the destination failed, after every event was written. */
export function closeFailed(thrown: unknown): Error {
  return new Error(
    `calltrail: closing the destination failed (${
      errorMessage(thrown)
    }); every event was written before.`,
    { cause: thrown },
  );
}

/** Closing the destination made no progress for closeTimeout. */
export function closeStalled(closeTimeout: number): Error {
  return new Error(
    `calltrail: the destination did not finish closing within closeTimeout (${closeTimeout} ms); every event was written before, and close() stopped waiting.`,
  );
}

/** `close()` gave up on a destination that made no progress. */
export function abandoned(
  closeTimeout: number,
  queued: number,
  preventClose: boolean,
): Error {
  const fate = preventClose ? "released (preventClose)" : "aborted";
  return new Error(
    `calltrail: the destination made no progress for closeTimeout (${closeTimeout} ms), so close() gave up: the ${queued} events still queued were counted as failed and the destination was ${fate}. Raise closeTimeout if the destination is slow but alive.`,
  );
}

/**
 * The destination refused several batches within a second: `count` of
 * them, `events` events in all, counted as failed; the last one's error.
 */
export function refusedBatches(
  count: number,
  events: number,
  last: Error,
): Error {
  return new Error(
    `calltrail: the destination refused ${count} batches (${events} events, counted as failed) since the last report; the last: ${
      errorMessage(last)
    }`,
    { cause: last },
  );
}

/** An event whose line is longer than `maxLineBytes`. */
export function lineTooLong(bytes: number, maxLineBytes: number): RangeError {
  return new RangeError(
    `calltrail: the event's line is ${bytes} bytes, above maxLineBytes (${maxLineBytes}). Shorten its long fields, such as outcome.message, or raise maxLineBytes.`,
  );
}

/**
 * `thrown` as an Error for `onError`: itself when it is one, else an Error
 * with its message. Never throws (a proxy's traps may).
 */
export function asError(thrown: unknown): Error {
  try {
    if (thrown instanceof Error) return thrown;
  } catch {
    // A proxy whose getPrototypeOf trap throws.
  }
  return new Error(errorMessage(thrown), { cause: thrown });
}
