/**
 * The shape of one audit event, as written on the wire. Field names are the
 * wire keys (snake_case), so an event can be compared with a parsed line
 * directly.
 *
 * @module
 */

/**
 * Where a granted capability came from: a plain allow list, or a UCAN
 * delegation chain.
 *
 * @example Two provenance sources
 * ```ts
 * import type { ProvSource } from "@calltrail/audit";
 *
 * const fromList: ProvSource = { kind: "string_allow_list" };
 * const fromUcan: ProvSource = {
 *   kind: "ucan_chain",
 *   issuer_did: "did:key:zABC",
 *   chain_depth: 1,
 * };
 * ```
 */
export type ProvSource =
  | { kind: "string_allow_list" }
  | {
    kind: "ucan_chain";
    /** The DID of the chain's root issuer. */
    issuer_did: string;
    /** The length of the delegation chain, an integer from 0 to 255. */
    chain_depth: number;
  };

/**
 * One granted capability and where it came from.
 *
 * @example A capability granted by an allow list
 * ```ts
 * import type { CapProvenance } from "@calltrail/audit";
 *
 * const read: CapProvenance = { cap: "fs.read", source: { kind: "string_allow_list" } };
 * ```
 */
export interface CapProvenance {
  /** The capability's name. */
  cap: string;
  /** Where the grant came from. */
  source: ProvSource;
}

/**
 * How a tool call ended. `kind` tells which; the other keys depend on it.
 *
 * @example The six outcomes
 * ```ts
 * import type { Outcome } from "@calltrail/audit";
 *
 * const outcomes: Outcome[] = [
 *   { kind: "success" },
 *   { kind: "invalid_args", message: "path is required" },
 *   { kind: "execution_failed", code: "FS_NOT_FOUND", retryable: false },
 *   { kind: "capability_denied", missing: ["fs.write"] },
 *   { kind: "rate_limited", retry_after_ms: 250 },
 *   { kind: "tool_not_found" },
 * ];
 * ```
 */
export type Outcome =
  | { kind: "success" }
  | {
    kind: "invalid_args";
    /** Why the arguments were rejected. Keep secrets and argument values out of it. */
    message: string;
  }
  | {
    kind: "execution_failed";
    /** A stable error code, such as `"FS_NOT_FOUND"`. */
    code: string;
    /** Whether the same call may succeed if retried. */
    retryable: boolean;
  }
  | {
    kind: "capability_denied";
    /** The capabilities the caller lacked, sorted. */
    missing: string[];
  }
  | {
    kind: "rate_limited";
    /** How long to wait before retrying, in milliseconds, or `null` when unknown. */
    retry_after_ms: number | null;
  }
  | { kind: "tool_not_found" };

/**
 * The execution tier of a call. `"hot"`, `"warm"` and `"cold"` are the usual
 * values; any non-empty string is valid.
 *
 * @example Name the tier of a call
 * ```ts
 * import type { Tier } from "@calltrail/audit";
 *
 * const tier: Tier = "warm";
 * ```
 */
export type Tier = "hot" | "warm" | "cold" | (string & Record<never, never>);

/**
 * One audit event: who called which tool, when, with which capabilities, how
 * it ended and how long it took. It is written as one JSON line, with its keys
 * in the order below and optional keys left out when absent.
 *
 * Build one with {@linkcode createCallEvent} or {@linkcode startCall}.
 *
 * @example An event as it is written
 * ```ts
 * import type { CallEvent } from "@calltrail/audit";
 *
 * const event: CallEvent = {
 *   ts: "2026-05-29T10:00:00.123Z",
 *   call_id: "01J000000000000000000000TEST",
 *   tool_id: "ref:echo.say",
 *   caller_id: "test-client",
 *   granted_capabilities: ["read", "write"],
 *   duration_ms: 17,
 *   outcome: { kind: "success" },
 *   tier: "warm",
 *   dry_run: false,
 *   schema_version: 3,
 *   secrets_resolved: false,
 * };
 * ```
 */
export interface CallEvent {
  /** RFC 3339 UTC time the event was emitted, as {@linkcode nowRfc3339} writes it. */
  ts: string;
  /** Unique, non-empty id of the call; a ULID by default. */
  call_id: string;
  /** The tool id as requested, also when the tool was not found. */
  tool_id: string;
  /** Who called; left out when unknown. */
  caller_id?: string;
  /** The caller's granted capabilities, sorted and without duplicates. */
  granted_capabilities: string[];
  /** Whole milliseconds from call start to emission, truncated; an integer >= 0. */
  duration_ms: number;
  /** How the call ended. */
  outcome: Outcome;
  /** The execution tier. */
  tier: Tier;
  /** Whether the call was a dry run. */
  dry_run: boolean;
  /** The schema version of the line: writers write {@linkcode SCHEMA_VERSION}. */
  schema_version: number;
  /** Whether secrets were resolved for the call. */
  secrets_resolved: boolean;
  /** Page index of a paginated call, an integer >= 1; left out when absent. */
  cursor_page?: number;
  /** Where each granted capability came from; left out when absent. */
  capability_provenance?: CapProvenance[];
}
