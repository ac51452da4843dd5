import { describe } from "./_describe.ts";
import { RFC3339_PATTERN } from "./_rfc3339.ts";
import type { CallEvent } from "./types.ts";

/**
 * Writes `event` as its canonical audit line: compact JSON with the keys in
 * the order of the wire format, optional keys left out when absent, and no
 * other key. The line has no trailing `\n`.
 *
 * Each field is read exactly once, so the line is a snapshot of the event at
 * the time of the call. `null` or `undefined` for an optional key
 * (`caller_id`, `cursor_page`, `capability_provenance`) leaves the key out; a
 * missing `secrets_resolved` is written as `false`, as readers treat it.
 *
 * @param event The event to write.
 * @returns The line, without its trailing newline.
 * @throws {TypeError} When a field has the wrong type or value (a non-finite or
 * fractional number, a `BigInt`, an empty `call_id`, a `ts` that is not RFC
 * 3339, ...). The message names the field. Errors thrown by getters or
 * proxies on the event propagate unchanged.
 *
 * @example Serialize an event
 * ```ts
 * import { serializeCallEvent } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const line = serializeCallEvent({
 *   ts: "2026-05-29T10:00:00.123Z",
 *   call_id: "01J000000000000000000000TEST",
 *   tool_id: "ref:echo.say",
 *   granted_capabilities: [],
 *   duration_ms: 17,
 *   outcome: { kind: "success" },
 *   tier: "warm",
 *   dry_run: false,
 *   schema_version: 3,
 *   secrets_resolved: false,
 * });
 * assert(line.startsWith('{"ts":"2026-05-29T10:00:00.123Z","call_id":'));
 * ```
 */
export function serializeCallEvent(event: CallEvent): string {
  if (typeof event !== "object" || event === null) {
    throw new TypeError(
      `calltrail: cannot write the event: expected a CallEvent object, got ${
        describe(event)
      }. Build events with createCallEvent() or startCall().`,
    );
  }
  const ts = event.ts;
  if (ts !== lastTs) {
    if (typeof ts !== "string" || !RFC3339_PATTERN.test(ts)) {
      fail("ts", "an RFC 3339 time such as nowRfc3339() returns", ts);
    }
    lastTs = ts;
  }
  const callId = event.call_id;
  if (typeof callId !== "string" || callId === "") {
    fail("call_id", "a non-empty string", callId);
  }
  let line = '{"ts":"' + ts + '","call_id":' + quote(callId) +
    ',"tool_id":' + toolId.json(event.tool_id);
  const callerId = event.caller_id;
  if (callerId !== undefined && callerId !== null) {
    line += ',"caller_id":' + callerIdCache.json(callerId);
  }
  line += ',"granted_capabilities":' +
    strings("granted_capabilities", event.granted_capabilities) +
    ',"duration_ms":' + integer("duration_ms", event.duration_ms, 0) +
    ',"outcome":' + outcome(event.outcome);
  const tier = event.tier;
  if (tier === "") fail("tier", "a non-empty string", tier);
  line += ',"tier":' + tierCache.json(tier) +
    ',"dry_run":' + boolean("dry_run", event.dry_run);
  const version = event.schema_version;
  if (version !== 1 && version !== 2 && version !== 3) {
    fail("schema_version", "1, 2 or 3 (write SCHEMA_VERSION)", version);
  }
  const secrets = event.secrets_resolved;
  line += ',"schema_version":' + version + ',"secrets_resolved":' +
    (secrets === undefined ? "false" : boolean("secrets_resolved", secrets));
  const page = event.cursor_page;
  if (page !== undefined && page !== null) {
    line += ',"cursor_page":' + integer("cursor_page", page, 1);
  }
  const provenance = event.capability_provenance;
  if (provenance !== undefined && provenance !== null) {
    line += ',"capability_provenance":' + capabilityProvenance(provenance);
  }
  return line + "}";
}

// Speed. Hosts write many events with the same ts (within a millisecond),
// tool_id, caller_id and tier: the last value of each, already checked and
// quoted, is kept, and compared by ===, which is only true for that same
// string. Strings that need no escape are quoted without JSON.stringify.

/** Characters JSON must escape, and lone surrogates (well-formed JSON). */
// deno-lint-ignore no-control-regex -- control characters are what it finds
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

let lastTs = "";

/** A quoted JSON string. */
function quote(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"';
}

/** The last string written for one field, and its JSON. */
class LastString {
  #field: string;
  #value = "";
  #json = '""';
  constructor(field: string) {
    this.#field = field;
  }
  /** `value` as a JSON string; throws naming the field if not a string. */
  json(value: unknown): string {
    if (value === this.#value) return this.#json;
    if (typeof value !== "string") fail(this.#field, "a string", value);
    this.#value = value;
    return this.#json = quote(value);
  }
}

const toolId = new LastString("tool_id");
const callerIdCache = new LastString("caller_id");
const tierCache = new LastString("tier");

function fail(field: string, expected: string, value: unknown): never {
  throw new TypeError(
    `calltrail: cannot write the event: "${field}" must be ${expected}, got ${
      describe(value)
    }. Fix the event before passing it to the sink.`,
  );
}

function string(field: string, value: unknown): string {
  if (typeof value !== "string") fail(field, "a string", value);
  return quote(value);
}

function boolean(field: string, value: unknown): string {
  if (value === true) return "true";
  if (value === false) return "false";
  fail(field, "true or false", value);
}

function integer(field: string, value: unknown, min: number): string {
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) || value < min
  ) {
    fail(field, `an integer >= ${min}`, value);
  }
  // "" + -0 is "0", so -0 is written as 0.
  return "" + value;
}

function strings(field: string, value: unknown): string {
  if (!Array.isArray(value)) fail(field, "an array of strings", value);
  const n = value.length;
  if (n === 0) return "[]";
  let out = "[";
  for (let i = 0; i < n; i++) {
    const item = value[i];
    if (typeof item !== "string") fail(`${field}[${i}]`, "a string", item);
    out += (i === 0 ? "" : ",") + quote(item);
  }
  return out + "]";
}

function object(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, "an object", value);
  }
  return value as Record<string, unknown>;
}

function outcome(value: unknown): string {
  const o = object("outcome", value);
  const kind = o.kind;
  switch (kind) {
    case "success":
      return '{"kind":"success"}';
    case "tool_not_found":
      return '{"kind":"tool_not_found"}';
    case "invalid_args":
      return `{"kind":"invalid_args","message":${
        string("outcome.message", o.message)
      }}`;
    case "execution_failed":
      return `{"kind":"execution_failed","code":${
        string("outcome.code", o.code)
      },"retryable":${boolean("outcome.retryable", o.retryable)}}`;
    case "capability_denied":
      return `{"kind":"capability_denied","missing":${
        strings("outcome.missing", o.missing)
      }}`;
    case "rate_limited": {
      const after = o.retry_after_ms;
      return `{"kind":"rate_limited","retry_after_ms":${
        after === null || after === undefined
          ? "null"
          : integer("outcome.retry_after_ms", after, 0)
      }}`;
    }
    default:
      return fail(
        "outcome.kind",
        '"success", "invalid_args", "execution_failed", "capability_denied", "rate_limited" or "tool_not_found"',
        kind,
      );
  }
}

function capabilityProvenance(value: unknown): string {
  const field = "capability_provenance";
  if (!Array.isArray(value)) fail(field, "an array", value);
  const n = value.length;
  let out = "[";
  for (let i = 0; i < n; i++) {
    const entry = object(`${field}[${i}]`, value[i]);
    const cap = string(`${field}[${i}].cap`, entry.cap);
    const source = object(`${field}[${i}].source`, entry.source);
    if (i > 0) out += ",";
    out += `{"cap":${cap},"source":${
      provSource(`${field}[${i}].source`, source)
    }}`;
  }
  return out + "]";
}

function provSource(field: string, source: Record<string, unknown>): string {
  const kind = source.kind;
  if (kind === "string_allow_list") return '{"kind":"string_allow_list"}';
  if (kind === "ucan_chain") {
    const did = string(`${field}.issuer_did`, source.issuer_did);
    const depth = source.chain_depth;
    if (
      typeof depth !== "number" || !Number.isInteger(depth) || depth < 0 ||
      depth > 255
    ) {
      fail(`${field}.chain_depth`, "an integer from 0 to 255", depth);
    }
    return `{"kind":"ucan_chain","issuer_did":${did},"chain_depth":${depth}}`;
  }
  return fail(`${field}.kind`, '"string_allow_list" or "ucan_chain"', kind);
}
