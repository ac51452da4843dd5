// Internal: the options of the HTTP sinks, checked, with their defaults.

import { describe } from "../_describe.ts";
import { errorMessage } from "../_error_message.ts";
import { optionError } from "../_sink_errors.ts";
import type { HttpAuditSinkOptions } from "./http.ts";

/** The checked options of one HTTP sink. */
export interface HttpSettings {
  readonly url: string;
  /** The URL as error messages show it: without credentials or query. */
  readonly shown: string;
  readonly headers: Headers;
  readonly gzip: boolean;
  readonly maxBatchBytes: number;
  readonly requestTimeout: number;
  readonly maxAttempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly fetch: typeof fetch;
  readonly maxConcurrentRequests: number;
}

const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_INITIAL_DELAY_MS = 100;
const DEFAULT_MAX_DELAY_MS = 10_000;

/**
 * Checks the URL and the HTTP options of `sink` (its name, for messages).
 *
 * @throws {TypeError} When the URL is not an http(s) URL, `headers` cannot
 * make Headers, `fetch` is not a function, or `gzip` is asked for where
 * there is no CompressionStream.
 * @throws {RangeError} When a size, a time or a count is out of range.
 */
export function httpSettings(
  sink: string,
  url: string | URL,
  options: HttpAuditSinkOptions,
): HttpSettings {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL at all: refused below.
  }
  if (
    parsed === undefined ||
    (parsed.protocol !== "http:" && parsed.protocol !== "https:")
  ) {
    throw new TypeError(
      `calltrail: ${sink}() needs an http: or https: URL, got ${
        describe(typeof url === "string" ? url : String(url))
      }.`,
    );
  }
  let headers: Headers;
  try {
    headers = new Headers(options.headers as HeadersInit | undefined);
  } catch (error) {
    throw new TypeError(
      `calltrail: the headers option of ${sink}() cannot make Headers (${
        errorMessage(error)
      }). Pass an object of header names and values.`,
      { cause: error },
    );
  }
  const gzip = options.gzip === true;
  if (gzip && typeof CompressionStream !== "function") {
    throw new TypeError(
      `calltrail: the gzip option of ${sink}() needs CompressionStream, which this runtime lacks. Leave gzip out.`,
    );
  }
  // Called unbound, the platform's fetch throws "Illegal invocation" on
  // workerd: call it on globalThis.
  const fetcher = options.fetch ??
    ((input: RequestInfo | URL, init?: RequestInit) =>
      globalThis.fetch(input, init));
  if (typeof fetcher !== "function") {
    throw new TypeError(
      `calltrail: the fetch option of ${sink}() must be a function, got ${
        describe(fetcher)
      }.`,
    );
  }
  const retry = options.retry ?? {};
  const settings: HttpSettings = {
    url: parsed.href,
    shown: `${parsed.origin}${parsed.pathname}`,
    headers,
    gzip,
    maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
    requestTimeout: options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxAttempts: retry.maxAttempts ?? Infinity,
    initialDelay: retry.initialDelay ?? DEFAULT_INITIAL_DELAY_MS,
    maxDelay: retry.maxDelay ?? DEFAULT_MAX_DELAY_MS,
    fetch: fetcher,
    maxConcurrentRequests: options.maxConcurrentRequests ?? 1,
  };
  const check = (
    name: string,
    ok: boolean,
    expected: string,
    value: unknown,
  ) => {
    if (!ok) {
      throw optionError(name, expected, value, "Leave it out for the default.");
    }
  };
  const {
    maxBatchBytes,
    requestTimeout,
    maxAttempts,
    initialDelay,
    maxDelay,
    maxConcurrentRequests,
  } = settings;
  check(
    "maxConcurrentRequests",
    Number.isSafeInteger(maxConcurrentRequests) && maxConcurrentRequests >= 1,
    "an integer >= 1",
    maxConcurrentRequests,
  );
  check(
    "maxBatchBytes",
    Number.isSafeInteger(maxBatchBytes) && maxBatchBytes >= 1,
    "an integer >= 1",
    maxBatchBytes,
  );
  check(
    "requestTimeout",
    typeof requestTimeout === "number" && requestTimeout > 0 &&
      requestTimeout <= 2 ** 31 - 1,
    "a number of milliseconds > 0, at most 2^31 - 1",
    requestTimeout,
  );
  check(
    "retry.maxAttempts",
    maxAttempts === Infinity ||
      (Number.isSafeInteger(maxAttempts) && maxAttempts >= 1),
    "an integer >= 1 (it counts the first attempt), or Infinity",
    maxAttempts,
  );
  check(
    "retry.initialDelay",
    typeof initialDelay === "number" && initialDelay >= 0 &&
      Number.isFinite(initialDelay),
    "a number of milliseconds >= 0",
    initialDelay,
  );
  check(
    "retry.maxDelay",
    typeof maxDelay === "number" && maxDelay >= initialDelay &&
      maxDelay <= 2 ** 31 - 1,
    `a number of milliseconds >= retry.initialDelay (${initialDelay}), at most 2^31 - 1`,
    maxDelay,
  );
  return settings;
}
