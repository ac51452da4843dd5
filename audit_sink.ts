import type { CallEvent } from "./types.ts";

/**
 * What a tool host calls once per tool call. Every sink in calltrail
 * implements it; implement it yourself to send events anywhere else.
 *
 * @example A sink that counts outcomes
 * ```ts
 * import type { AuditSink, CallEvent } from "@calltrail/audit";
 *
 * class OutcomeCounter implements AuditSink {
 *   readonly counts = new Map<string, number>();
 *   onCall(event: CallEvent): void {
 *     const kind = event?.outcome?.kind ?? "invalid";
 *     this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
 *   }
 *   drops(): number {
 *     return 0;
 *   }
 * }
 * ```
 */
export interface AuditSink {
  /**
   * Takes one event. It never throws and never waits, whatever it is given.
   *
   * @param event The finished call's event.
   */
  onCall(event: CallEvent): void;
  /**
   * How many events were lost because the sink was full or closed.
   *
   * @returns The number of lost events.
   */
  drops(): number;
}
