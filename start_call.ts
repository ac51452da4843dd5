import { type CallEventInit, createCallEvent } from "./create_call_event.ts";
import { ulid } from "./_ulid.ts";
import type { CallEvent, Outcome } from "./types.ts";

/**
 * What {@linkcode startCall} needs to know when a call starts. `call_id`
 * defaults to a new ULID.
 *
 * @example A call with its caller and grants
 * ```ts
 * import { startCall, type StartCallInit } from "@calltrail/audit";
 *
 * const init: StartCallInit = {
 *   tool_id: "ref:fs.read",
 *   caller_id: "agent-7",
 *   granted_capabilities: ["fs.read"],
 *   tier: "warm",
 * };
 * startCall(init).finish({ kind: "success" });
 * ```
 */
export type StartCallInit =
  & Pick<CallEventInit, "tool_id" | "tier">
  // The recorder sets ts, duration_ms and outcome when the call finishes.
  & Partial<
    Omit<CallEventInit, "tool_id" | "tier" | "ts" | "duration_ms" | "outcome">
  >;

/**
 * Fields that {@linkcode CallRecorder.finish} may add or override once the
 * call has ended, such as `secrets_resolved` or `cursor_page`.
 *
 * @example Say at the end that secrets were resolved
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FinishExtra, startCall } from "@calltrail/audit";
 *
 * const extra: FinishExtra = { secrets_resolved: true, cursor_page: 2 };
 * const event = startCall({ tool_id: "ref:db.query", tier: "warm" })
 *   .finish({ kind: "success" }, extra);
 * assert.equal(event.secrets_resolved, true);
 * ```
 */
export type FinishExtra = Partial<
  Pick<
    CallEventInit,
    | "caller_id"
    | "granted_capabilities"
    | "tier"
    | "dry_run"
    | "secrets_resolved"
    | "cursor_page"
    | "capability_provenance"
  >
>;

/** A call in progress, made by {@linkcode startCall}. *
 * @example Finish a call once
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CallRecorder, startCall } from "@calltrail/audit";
 *
 * const call: CallRecorder = startCall({ tool_id: "ref:echo.say", tier: "hot" });
 * const event = call.finish({ kind: "tool_not_found" });
 * assert.equal(event.call_id, call.call_id);
 * assert.equal(call.finished, true);
 * assert.throws(() => call.finish({ kind: "success" }));
 * ```
 */
export interface CallRecorder {
  /** The call's id: the one given to `startCall`, or a new ULID. */
  readonly call_id: string;
  /** The tool id as requested. */
  readonly tool_id: string;
  /** Whether {@linkcode CallRecorder.finish} was called. */
  readonly finished: boolean;
  /**
   * Ends the call and returns its event, with `duration_ms` measured on a
   * monotonic clock since `startCall` and `ts` set to now. A recorder
   * finishes once.
   *
   * @param outcome How the call ended.
   * @param extra Fields known only at the end of the call.
   * @returns The finished event, ready for `sink.onCall`.
   * @throws {Error} When the recorder has already finished.
   */
  finish(outcome: Outcome, extra?: FinishExtra): CallEvent;
}

/**
 * Starts recording a tool call: notes the start time on a monotonic clock
 * (`performance.now()`) and makes a `call_id` (a ULID: 26 characters,
 * time-sortable) unless one is given.
 *
 * @param init Who calls which tool, with which capabilities.
 * @returns A recorder; call its `finish(outcome)` once when the call ends.
 *
 * @example Audit one call
 * ```ts
 * import { MemoryAuditSink, startCall } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const sink = new MemoryAuditSink();
 * const call = startCall({
 *   tool_id: "ref:echo.say",
 *   caller_id: "agent-7",
 *   granted_capabilities: ["echo"],
 *   tier: "hot",
 * });
 * // ... run the tool ...
 * sink.onCall(call.finish({ kind: "success" }));
 * assert(sink.events[0].call_id === call.call_id);
 * assert(call.call_id.length === 26);
 * ```
 */
export function startCall(init: StartCallInit): CallRecorder {
  return new Recorder(init);
}

class Recorder implements CallRecorder {
  readonly call_id: string;
  readonly tool_id: string;
  #init: StartCallInit;
  #start: number;
  #finished = false;

  constructor(init: StartCallInit) {
    if (typeof init !== "object" || init === null) {
      throw new TypeError(
        `calltrail: startCall() needs an object with tool_id and tier; got ${
          init === null ? "null" : typeof init
        }.`,
      );
    }
    this.#init = init;
    this.call_id = init.call_id ?? ulid();
    this.tool_id = init.tool_id;
    this.#start = performance.now();
  }

  get finished(): boolean {
    return this.#finished;
  }

  finish(outcome: Outcome, extra?: FinishExtra): CallEvent {
    if (this.#finished) {
      throw new Error(
        `calltrail: call ${this.call_id} (${this.tool_id}) has already finished; a recorder finishes once. Call startCall() for each new call.`,
      );
    }
    this.#finished = true;
    const elapsed = performance.now() - this.#start;
    return createCallEvent({
      ...this.#init,
      ...extra,
      call_id: this.call_id,
      tool_id: this.tool_id,
      duration_ms: elapsed > 0 ? Math.trunc(elapsed) : 0,
      outcome,
    });
  }
}
