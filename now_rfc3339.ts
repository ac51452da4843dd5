/**
 * The current time as the `ts` of an audit line: RFC 3339 in UTC with
 * millisecond precision, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
 *
 * @returns The current UTC time, such as `"2026-05-29T10:00:00.123Z"`.
 *
 * @example The shape of a timestamp
 * ```ts
 * import { nowRfc3339 } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const ts = nowRfc3339();
 * assert(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(ts));
 * ```
 */
export function nowRfc3339(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    last = new Date(ms).toISOString();
  }
  return last;
}

// The last time written, made once per millisecond.
let lastMs = NaN;
let last = "";
