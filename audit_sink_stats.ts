/**
 * A sink's counters. At every moment `accepted = written + failed + queued`,
 * and every `onCall` or `send` adds one to exactly one of `accepted`,
 * `dropped` and `invalid`. `dropped` counts every event the queue did not
 * take, `diverted` the part of them a `fallback` took: what was lost is
 * `dropped - diverted`, plus the fallback's own losses, which is what
 * `drops()` returns.
 *
 * @example Check the balance
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AuditSinkStats, JsonLinesAuditSink } from "@calltrail/audit";
 *
 * const sink = new JsonLinesAuditSink(new WritableStream());
 * const s: AuditSinkStats = sink.stats();
 * assert.equal(s.accepted, s.written + s.failed + s.queued);
 * assert.equal(sink.drops(), s.dropped - s.diverted);
 * ```
 */
export interface AuditSinkStats {
  /** Events taken into the queue. */
  accepted: number;
  /** Accepted events whose write to the destination resolved. */
  written: number;
  /**
   * Events the queue did not take because it was full or the sink closed
   * (or its destination had failed), including those handed to the
   * `fallback`.
   */
  dropped: number;
  /** The part of `dropped` that the `fallback` took. */
  diverted: number;
  /**
   * Accepted events whose write to the destination failed, or that were
   * still queued when `close()` gave up on a stalled destination.
   */
  failed: number;
  /** Events that could not be written as a valid line; never queued. */
  invalid: number;
  /** Accepted events not yet written or failed. */
  queued: number;
}
