import { nowRfc3339 } from "./now_rfc3339.ts";
import { SCHEMA_VERSION } from "./constants.ts";
import type { CallEvent, Outcome } from "./types.ts";

/**
 * What {@linkcode createCallEvent} needs: the required fields of a
 * {@linkcode CallEvent}, and any optional ones. `ts` defaults to now.
 *
 * @example The least an event needs
 * ```ts
 * import { type CallEventInit, createCallEvent } from "@calltrail/audit";
 *
 * const init: CallEventInit = {
 *   call_id: "c-1",
 *   tool_id: "ref:echo.say",
 *   duration_ms: 0,
 *   outcome: { kind: "success" },
 *   tier: "hot",
 * };
 * createCallEvent(init);
 * ```
 */
export type CallEventInit =
  & Pick<CallEvent, "call_id" | "tool_id" | "duration_ms" | "outcome" | "tier">
  & Partial<
    Pick<
      CallEvent,
      | "ts"
      | "caller_id"
      | "granted_capabilities"
      | "dry_run"
      | "secrets_resolved"
      | "cursor_page"
      | "capability_provenance"
    >
  >;

const REQUIRED = [
  "call_id",
  "tool_id",
  "duration_ms",
  "outcome",
  "tier",
] as const;

/**
 * Builds a {@linkcode CallEvent} from its parts. It fills `ts` with
 * {@linkcode nowRfc3339} (unless given), `schema_version` with
 * {@linkcode SCHEMA_VERSION}, and the defaults `granted_capabilities: []`,
 * `dry_run: false` and `secrets_resolved: false`. It sorts and de-duplicates
 * `granted_capabilities` and a `capability_denied` outcome's `missing`, into
 * new arrays, and leaves absent optional keys out of the event.
 *
 * It checks only that the required fields are present; the sink checks every
 * value when it writes the event.
 *
 * @param init The fields of the event. `call_id`, `tool_id`, `duration_ms`,
 * `outcome` and `tier` are required.
 * @returns A new event.
 * @throws {TypeError} When a required field is missing.
 *
 * @example Record a finished call
 * ```ts
 * import { createCallEvent } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const event = createCallEvent({
 *   call_id: "01J000000000000000000000TEST",
 *   tool_id: "ref:fs.read",
 *   caller_id: "agent-7",
 *   granted_capabilities: ["fs.read", "fs.list", "fs.read"],
 *   duration_ms: 12,
 *   outcome: { kind: "success" },
 *   tier: "warm",
 * });
 * assert(event.granted_capabilities.join() === "fs.list,fs.read");
 * assert(event.schema_version === 3 && event.dry_run === false);
 * ```
 */
export function createCallEvent(init: CallEventInit): CallEvent {
  if (typeof init !== "object" || init === null) {
    throw new TypeError(
      `calltrail: createCallEvent() needs an object with ${
        REQUIRED.join(", ")
      }; got ${init === null ? "null" : typeof init}.`,
    );
  }
  for (const key of REQUIRED) {
    if (init[key] === undefined) {
      throw new TypeError(
        `calltrail: createCallEvent() needs "${key}"; it is missing. Required: ${
          REQUIRED.join(", ")
        }.`,
      );
    }
  }
  const event: CallEvent = {
    ts: init.ts ?? nowRfc3339(),
    call_id: init.call_id,
    tool_id: init.tool_id,
    granted_capabilities: sortedUnique(init.granted_capabilities),
    duration_ms: init.duration_ms,
    outcome: normalizeOutcome(init.outcome),
    tier: init.tier,
    dry_run: init.dry_run ?? false,
    schema_version: SCHEMA_VERSION,
    secrets_resolved: init.secrets_resolved ?? false,
  };
  if (init.caller_id !== undefined) event.caller_id = init.caller_id;
  if (init.cursor_page !== undefined) event.cursor_page = init.cursor_page;
  if (init.capability_provenance !== undefined) {
    event.capability_provenance = init.capability_provenance;
  }
  return event;
}

/** A sorted copy of `values` without duplicates. */
function sortedUnique(values: readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  // Not an array: keep it as it is, for the sink to report.
  if (!Array.isArray(values)) return values as unknown as string[];
  for (let i = 1; i < values.length; i++) {
    if (!(values[i - 1] < values[i])) return [...new Set(values)].sort();
  }
  return values.slice();
}

function normalizeOutcome(outcome: Outcome): Outcome {
  if (outcome?.kind !== "capability_denied") return outcome;
  return { kind: "capability_denied", missing: sortedUnique(outcome.missing) };
}
