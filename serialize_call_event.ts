import { describe } from "./_describe.ts";
import { jsonString } from "./_json_string.ts";
import { RFC3339_PATTERN } from "./_rfc3339.ts";
import { isJavaScriptCore } from "./_runtime.ts";
import type { CallEvent, CapProvenance, Outcome, ProvSource } from "./types.ts";

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
  return (build ??= pickBuilder())(event);
}

// How the line is built depends on the engine, chosen at the first call
// (never at load): V8 (Node, Deno) concatenates the pieces, over twice as fast
// as JSON.stringify of the event; JavaScriptCore (Bun) makes string ropes
// expensive to flatten, so there the checked values go into a fresh object in
// wire order, and JSON.stringify writes it. Both give the same bytes.
let build: ((event: CallEvent) => string) | undefined;

/** Internal, for tests: both builders, which must agree on every event. */
export const builders: {
  byConcatenation: (event: CallEvent) => string;
  byStringify: (event: CallEvent) => string;
} = { byConcatenation, byStringify };

function pickBuilder(): (event: CallEvent) => string {
  return isJavaScriptCore() ? byStringify : byConcatenation;
}

function byConcatenation(event: CallEvent): string {
  checkEvent(event);
  const ts = checkTs(event.ts);
  let line = '{"ts":"' + ts + '","call_id":' +
    jsonString(filled("call_id", event.call_id)) + ',"tool_id":' +
    toolIdCache.json(event.tool_id);
  const callerId = event.caller_id;
  if (callerId !== undefined && callerId !== null) {
    line += ',"caller_id":' + callerIdCache.json(callerId);
  }
  line += ',"granted_capabilities":' +
    quoteAll("granted_capabilities", event.granted_capabilities) +
    ',"duration_ms":' + count("duration_ms", event.duration_ms, 0);
  const outcome = checkOutcome(event.outcome);
  line += ',"outcome":' + (
    outcome === SUCCESS ? SUCCESS_JSON : JSON.stringify(outcome)
  );
  line += ',"tier":' + tierCache.json(filled("tier", event.tier)) +
    ',"dry_run":' +
    flag("dry_run", event.dry_run) + ',"schema_version":' +
    checkVersion(event.schema_version) + ',"secrets_resolved":' +
    checkSecrets(event.secrets_resolved);
  const page = event.cursor_page;
  if (page !== undefined && page !== null) {
    line += ',"cursor_page":' + count("cursor_page", page, 1);
  }
  const provenance = event.capability_provenance;
  if (provenance !== undefined && provenance !== null) {
    line += ',"capability_provenance":' +
      JSON.stringify(checkProvenance(provenance));
  }
  return line + "}";
}

function byStringify(event: CallEvent): string {
  return JSON.stringify(checkedCopy(event));
}

/**
 * A fresh copy of `event` holding its checked values, in wire order, that
 * serializeCallEvent writes as the same line as `event` (a sink queues it
 * and serializes it later, off the caller's path). Each field is read once;
 * it throws as serializeCallEvent does. Its arrays and objects are its own,
 * and a key whose value is absent holds `undefined`.
 *
 * @param event Whatever the caller passed as an event.
 * @returns The copy.
 */
export function checkedCopy(event: CallEvent): CallEvent {
  checkEvent(event);
  const ts = checkTs(event.ts);
  const callId = filled("call_id", event.call_id);
  const toolId = text("tool_id", event.tool_id);
  const callerId = event.caller_id;
  if (callerId !== undefined && callerId !== null) {
    text("caller_id", callerId);
  }
  const capabilities = texts(
    "granted_capabilities",
    event.granted_capabilities,
  );
  const duration = count("duration_ms", event.duration_ms, 0);
  const outcome = checkOutcome(event.outcome);
  const tier = filled("tier", event.tier);
  const dryRun = flag("dry_run", event.dry_run);
  const version = checkVersion(event.schema_version);
  const secrets = checkSecrets(event.secrets_resolved);
  const page = event.cursor_page;
  if (page !== undefined && page !== null) count("cursor_page", page, 1);
  const provenance = event.capability_provenance;
  // One literal in wire order, so that the engine sees one object layout;
  // JSON.stringify leaves out a key whose value is undefined.
  return {
    ts,
    call_id: callId,
    tool_id: toolId,
    caller_id: callerId ?? undefined,
    granted_capabilities: capabilities,
    duration_ms: duration,
    outcome,
    tier,
    dry_run: dryRun,
    schema_version: version,
    secrets_resolved: secrets,
    cursor_page: page ?? undefined,
    capability_provenance: provenance === undefined || provenance === null
      ? undefined
      : checkProvenance(provenance),
  };
}

// The checks. Each reads a value once and returns it (or JSON for it) when
// it is valid, and otherwise throws a TypeError naming the field. Arrays and
// objects are copied into fresh ones, so that what is written is what was
// checked, whatever getters or proxies the event carries.

// Plain (not frozen) objects: engines' JSON.stringify fast paths skip frozen
// ones. They never leave this module.
const SUCCESS: Outcome = { kind: "success" };
const SUCCESS_JSON = '{"kind":"success"}';
const NOT_FOUND: Outcome = { kind: "tool_not_found" };

// Hosts write many events with the same ts (within a millisecond), tool_id,
// caller_id and tier: the last value of each, already checked and quoted, is
// kept, and compared by ===, which is only true for that same string.

/** Equal to no value an event can hold: the caches start empty. */
const NONE: unknown = Symbol("none");

let lastTs: unknown = NONE;

function checkTs(ts: unknown): string {
  if (ts !== lastTs) {
    if (typeof ts !== "string" || !RFC3339_PATTERN.test(ts)) {
      fail("ts", "an RFC 3339 time such as nowRfc3339() returns", ts);
    }
    lastTs = ts;
  }
  return ts as string;
}

/** The last string written for one field, and its JSON. */
class LastString {
  #field: string;
  #value: unknown = NONE;
  #json = "";
  constructor(field: string) {
    this.#field = field;
  }
  /** `value` as a JSON string; throws naming the field if not a string. */
  json(value: unknown): string {
    if (value === this.#value) return this.#json;
    const checked = text(this.#field, value);
    this.#value = checked;
    return this.#json = jsonString(checked);
  }
}

const toolIdCache = new LastString("tool_id");
const callerIdCache = new LastString("caller_id");
const tierCache = new LastString("tier");

/**
 * Internal, for the sinks: the errors this module throws about an event, so
 * that a sink tells them from whatever a getter or proxy threw, without
 * touching the thrown value.
 */
export const eventErrors: WeakSet<Error> = new WeakSet();

function eventError(message: string): TypeError {
  const error = new TypeError(message);
  eventErrors.add(error);
  return error;
}

function fail(field: string, expected: string, value: unknown): never {
  throw eventError(
    `calltrail: cannot write the event: "${field}" must be ${expected}, got ${
      describe(value)
    }. Fix the event before passing it to the sink.`,
  );
}

function checkEvent(event: unknown): void {
  if (typeof event !== "object" || event === null) {
    throw eventError(
      `calltrail: cannot write the event: expected a CallEvent object, got ${
        describe(event)
      }. Build events with createCallEvent() or startCall().`,
    );
  }
}

function text(field: string, value: unknown): string {
  if (typeof value !== "string") fail(field, "a string", value);
  return value;
}

function filled(field: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    fail(field, "a non-empty string", value);
  }
  return value;
}

function flag(field: string, value: unknown): boolean {
  if (value !== true && value !== false) fail(field, "true or false", value);
  return value;
}

function count(field: string, value: unknown, min: number): number {
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) || value < min
  ) {
    fail(field, `an integer >= ${min}`, value);
  }
  // -0 becomes 0 (as "" + -0 and JSON.stringify(-0) write it).
  return value === 0 ? 0 : value;
}

function checkVersion(value: unknown): 1 | 2 | 3 {
  if (value !== 1 && value !== 2 && value !== 3) {
    fail("schema_version", "1, 2 or 3 (write SCHEMA_VERSION)", value);
  }
  return value;
}

/** A missing secrets_resolved is written as false, as readers read it. */
function checkSecrets(value: unknown): boolean {
  return value === undefined ? false : flag("secrets_resolved", value);
}

/** A fresh copy of an array of strings. */
function texts(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) fail(field, "an array of strings", value);
  const n = value.length;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const item = value[i];
    if (typeof item !== "string") fail(`${field}[${i}]`, "a string", item);
    out.push(item);
  }
  return out;
}

/** An array of strings, as JSON. */
function quoteAll(field: string, value: unknown): string {
  if (!Array.isArray(value)) fail(field, "an array of strings", value);
  const n = value.length;
  if (n === 0) return "[]";
  let out = "[";
  for (let i = 0; i < n; i++) {
    const item = value[i];
    if (typeof item !== "string") fail(`${field}[${i}]`, "a string", item);
    out += (i === 0 ? "" : ",") + jsonString(item);
  }
  return out + "]";
}

function object(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, "an object", value);
  }
  return value as Record<string, unknown>;
}

/** A fresh outcome with only its keys, in wire order. */
function checkOutcome(value: unknown): Outcome {
  const o = object("outcome", value);
  const kind = o.kind;
  switch (kind) {
    case "success":
      return SUCCESS;
    case "tool_not_found":
      return NOT_FOUND;
    case "invalid_args":
      return { kind, message: text("outcome.message", o.message) };
    case "execution_failed":
      return {
        kind,
        code: text("outcome.code", o.code),
        retryable: flag("outcome.retryable", o.retryable),
      };
    case "capability_denied":
      return { kind, missing: texts("outcome.missing", o.missing) };
    case "rate_limited": {
      const after = o.retry_after_ms;
      return {
        kind,
        retry_after_ms: after === null || after === undefined
          ? null
          : count("outcome.retry_after_ms", after, 0),
      };
    }
    default:
      return fail(
        "outcome.kind",
        '"success", "invalid_args", "execution_failed", "capability_denied", "rate_limited" or "tool_not_found"',
        kind,
      );
  }
}

/** A fresh copy of the provenance, with only its keys, in wire order. */
function checkProvenance(value: unknown): CapProvenance[] {
  const field = "capability_provenance";
  if (!Array.isArray(value)) fail(field, "an array", value);
  const n = value.length;
  const out: CapProvenance[] = [];
  for (let i = 0; i < n; i++) {
    const entry = object(`${field}[${i}]`, value[i]);
    const cap = text(`${field}[${i}].cap`, entry.cap);
    const source = object(`${field}[${i}].source`, entry.source);
    out.push({ cap, source: checkSource(`${field}[${i}].source`, source) });
  }
  return out;
}

function checkSource(
  field: string,
  source: Record<string, unknown>,
): ProvSource {
  const kind = source.kind;
  if (kind === "string_allow_list") return { kind };
  if (kind === "ucan_chain") {
    const did = text(`${field}.issuer_did`, source.issuer_did);
    const depth = source.chain_depth;
    if (
      typeof depth !== "number" || !Number.isInteger(depth) || depth < 0 ||
      depth > 255
    ) {
      fail(`${field}.chain_depth`, "an integer from 0 to 255", depth);
    }
    return { kind, issuer_did: did, chain_depth: depth === 0 ? 0 : depth };
  }
  return fail(`${field}.kind`, '"string_allow_list" or "ucan_chain"', kind);
}
