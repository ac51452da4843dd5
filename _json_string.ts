// Internal: a string as a JSON string literal, without JSON.stringify when
// nothing in it needs escaping (most ids, tool names and tiers).

/** Characters JSON must escape, and lone surrogates (well-formed JSON). */
// deno-lint-ignore no-control-regex -- control characters are what it finds
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `value` as a quoted JSON string, as JSON.stringify writes it. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
}
