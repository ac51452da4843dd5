// Internal: the reader's fast path. readCallEvents reads millions of lines,
// most of them calltrail's own, and validating each with the zod schema is
// most of its time. This check accepts only values that CallEventSchema
// certainly accepts, and returns what the schema returns for them (the same
// keys, in the same order, unknown keys left out); for anything else, or
// anything rare (capability_provenance), it returns undefined and the
// reader asks parseCallEvent, whose verdict and errors stay the only ones.
// tests/fast_call_event_test.ts checks it against the schema.

import { RFC3339_PATTERN } from "./_rfc3339.ts";
import type { CallEvent, Outcome } from "./types.ts";

type Fields = Record<string, unknown>;

function isCount(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}

function isStrings(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== "string") return false;
  }
  return true;
}

function outcomeOf(value: unknown): Outcome | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const o = value as Fields;
  switch (o.kind) {
    case "success":
      return { kind: "success" };
    case "invalid_args":
      return typeof o.message === "string"
        ? { kind: "invalid_args", message: o.message }
        : undefined;
    case "execution_failed":
      return typeof o.code === "string" && typeof o.retryable === "boolean"
        ? { kind: "execution_failed", code: o.code, retryable: o.retryable }
        : undefined;
    case "capability_denied":
      return isStrings(o.missing)
        ? { kind: "capability_denied", missing: [...o.missing] }
        : undefined;
    case "rate_limited":
      return o.retry_after_ms === null || isCount(o.retry_after_ms, 0)
        ? {
          kind: "rate_limited",
          retry_after_ms: o.retry_after_ms as number | null,
        }
        : undefined;
    case "tool_not_found":
      return { kind: "tool_not_found" };
    default:
      return undefined;
  }
}

/**
 * The event CallEventSchema makes of `value` (a parsed JSON line), when this
 * check is sure of it; else undefined.
 */
export function fastCallEvent(value: unknown): CallEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return undefined;
  }
  const v = value as Fields;
  const { ts, call_id, tool_id, caller_id, granted_capabilities } = v;
  const { duration_ms, tier, dry_run, schema_version, secrets_resolved } = v;
  const { cursor_page } = v;
  if (
    typeof ts !== "string" || typeof call_id !== "string" ||
    call_id.length === 0 || typeof tool_id !== "string" ||
    (caller_id !== undefined && typeof caller_id !== "string") ||
    !isStrings(granted_capabilities) || !isCount(duration_ms, 0) ||
    typeof tier !== "string" || tier.length === 0 ||
    typeof dry_run !== "boolean" ||
    (schema_version !== 3 && schema_version !== 2 && schema_version !== 1) ||
    (secrets_resolved !== undefined && typeof secrets_resolved !== "boolean") ||
    (cursor_page !== undefined && !isCount(cursor_page, 1)) ||
    v.capability_provenance !== undefined || !RFC3339_PATTERN.test(ts)
  ) {
    return undefined;
  }
  const outcome = outcomeOf(v.outcome);
  if (outcome === undefined) return undefined;
  // caller_id, when present, comes right after tool_id, as in the schema's
  // output: the same keys in the same order, each added once.
  const event: Partial<CallEvent> = caller_id === undefined
    ? { ts, call_id, tool_id }
    : { ts, call_id, tool_id, caller_id: caller_id as string };
  event.granted_capabilities = [...granted_capabilities];
  event.duration_ms = duration_ms;
  event.outcome = outcome;
  event.tier = tier;
  event.dry_run = dry_run;
  event.schema_version = schema_version;
  event.secrets_resolved = secrets_resolved ?? false;
  if (cursor_page !== undefined) event.cursor_page = cursor_page;
  // Every field of a CallEvent is set above.
  return event as CallEvent;
}
