// Internal: how long the HTTP sinks wait before trying a request again:
// exponential backoff with full jitter, or what the receiver's Retry-After
// asks for.

/**
 * A random delay from 0 up to `initialDelay × 2^(attempt - 1)`, capped at
 * `maxDelay` ("full jitter": retries of many clients spread out).
 *
 * @param attempt The attempt that just failed, from 1.
 */
export function backoffDelay(
  attempt: number,
  initialDelay: number,
  maxDelay: number,
  random: () => number = Math.random,
): number {
  // 2^64 outgrows any maxDelay (at most 2^31 ms), and 0 × 2^1024 is NaN.
  const ceiling = Math.min(
    maxDelay,
    initialDelay * 2 ** Math.min(attempt - 1, 64),
  );
  return Math.floor(random() * ceiling);
}

/** IMF-fixdate, RFC 850 and asctime dates: a day name, then a time. */
const HTTP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? .*\b\d{2}:\d{2}:\d{2}\b/;

/**
 * The delay a `Retry-After` header asks for, in milliseconds: a number of
 * seconds, or an HTTP date (a date in the past asks for none).
 *
 * @returns The delay, or `undefined` when there is no header or it is not
 * one of the two forms.
 */
export function retryAfterDelay(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date, in any of its three forms, names its day and its time:
  // Date.parse alone would take "-5" or "1.5" for dates.
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
