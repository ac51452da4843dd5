// Internal: a JsonLinesAuditSink's options, checked and with their defaults.

import { DEFAULT_AUDIT_QUEUE_CAPACITY } from "./constants.ts";
import { describe } from "./_describe.ts";
import { rateLimitedConsoleReporter } from "./_report.ts";
import { checkCount, optionError } from "./_sink_errors.ts";
import type { AuditSink } from "./audit_sink.ts";
import type { JsonLinesAuditSinkOptions } from "./json_lines_audit_sink_options.ts";

const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 3000;

/** The options, checked, with every default filled in. */
export interface SinkSettings {
  readonly capacity: number;
  readonly maxLineBytes: number;
  readonly closeTimeout: number;
  readonly fallback: AuditSink | undefined;
  readonly preventClose: boolean;
  readonly onError: (error: Error) => void;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws {RangeError} When `capacity` or `maxLineBytes` is not an integer
 * >= 1, or `closeTimeout` is not a number > 0.
 * @throws {TypeError} When `fallback` is not an AuditSink or `onError` not a
 * function.
 */
export function sinkSettings(options: JsonLinesAuditSinkOptions): SinkSettings {
  const capacity = options.capacity ?? DEFAULT_AUDIT_QUEUE_CAPACITY;
  checkCount(
    "capacity",
    capacity,
    "Leave it out to use the default, DEFAULT_AUDIT_QUEUE_CAPACITY (1024).",
  );
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  checkCount(
    "maxLineBytes",
    maxLineBytes,
    "Leave it out to use the default, 1048576 (1 MiB).",
  );
  const closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_MS;
  if (typeof closeTimeout !== "number" || !(closeTimeout > 0)) {
    throw optionError(
      "closeTimeout",
      "a number of milliseconds > 0 (or Infinity)",
      closeTimeout,
      `Leave it out to use the default, ${DEFAULT_CLOSE_TIMEOUT_MS}.`,
    );
  }
  const { fallback, onError } = options;
  if (fallback !== undefined && typeof fallback?.onCall !== "function") {
    throw new TypeError(
      `calltrail: the fallback option must be an AuditSink (with onCall and drops), got ${
        describe(fallback)
      }.`,
    );
  }
  if (onError !== undefined && typeof onError !== "function") {
    throw new TypeError(
      `calltrail: the onError option must be a function, got ${
        describe(onError)
      }.`,
    );
  }
  return {
    capacity,
    maxLineBytes,
    closeTimeout,
    fallback,
    preventClose: options.preventClose === true,
    onError: onError ?? rateLimitedConsoleReporter(),
  };
}
