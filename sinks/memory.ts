import { checkedLine } from "../_checked_line.ts";
import { describe } from "../_describe.ts";
import { rateLimitedConsoleReporter } from "../_report.ts";
import type { AuditSink } from "../audit_sink.ts";
import type { AuditSinkStats } from "../audit_sink_stats.ts";
import type { CallEvent } from "../types.ts";

/** Options of {@linkcode MemoryAuditSink}. *
 * @example Keep at most 100 events
 * ```ts
 * import { MemoryAuditSink, type MemoryAuditSinkOptions } from "@calltrail/audit";
 *
 * const options: MemoryAuditSinkOptions = { capacity: 100 };
 * const sink = new MemoryAuditSink(options);
 * ```
 */
export interface MemoryAuditSinkOptions {
  /**
   * The most events kept; later ones are dropped and counted.
   *
   * @default {Infinity}
   */
  capacity?: number;
  /**
   * Called with the error of each invalid event.
   *
   * @default {a short line on console.error, at most once a second}
   */
  onError?: (error: Error) => void;
}

/**
 * A sink that keeps events in an array, for tests of a tool host. Each event
 * is stored as it would be read back from its line: a snapshot with only the
 * wire-format keys, so mutating the original afterwards changes nothing.
 *
 * @example Assert what a host audited
 * ```ts
 * import { MemoryAuditSink, startCall } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const sink = new MemoryAuditSink();
 * sink.onCall(startCall({ tool_id: "ref:fs.read", tier: "warm" })
 *   .finish({ kind: "tool_not_found" }));
 * assert(sink.events.length === 1);
 * assert(sink.events[0].outcome.kind === "tool_not_found");
 * ```
 */
export class MemoryAuditSink implements AuditSink {
  /** The events taken, oldest first. */
  readonly events: CallEvent[] = [];
  readonly #capacity: number;
  readonly #onError: (error: Error) => void;
  #accepted = 0;
  #dropped = 0;
  #invalid = 0;

  /**
   * Creates an empty sink.
   *
   * @param options An optional `capacity` and `onError`.
   * @throws {RangeError} When `capacity` is not a number >= 0.
   */
  constructor(options: MemoryAuditSinkOptions = {}) {
    const capacity = options.capacity ?? Infinity;
    if (typeof capacity !== "number" || !(capacity >= 0)) {
      throw new RangeError(
        `calltrail: the capacity option of MemoryAuditSink must be a number >= 0, got ${
          describe(capacity)
        }. Leave it out to keep every event.`,
      );
    }
    this.#capacity = capacity;
    this.#onError = options.onError ?? rateLimitedConsoleReporter();
  }

  /**
   * Stores a snapshot of the event, or counts it as invalid or dropped.
   * Never throws.
   *
   * @param event The finished call's event.
   */
  onCall(event: CallEvent): void {
    const line = checkedLine(event);
    if (typeof line !== "string") {
      this.#invalid++;
      try {
        this.#onError(line);
      } catch {
        // onError must not throw.
      }
    } else if (this.events.length >= this.#capacity) {
      this.#dropped++;
    } else {
      this.#accepted++;
      this.events.push(JSON.parse(line));
    }
  }

  /**
   * How many events were dropped because the sink was full.
   *
   * @returns The number of dropped events.
   */
  drops(): number {
    return this.#dropped;
  }

  /**
   * The counters, in the shape of {@linkcode JsonLinesAuditSink.stats}:
   * stored events count as written, nothing is ever queued or failed.
   *
   * @returns A new object with the counters.
   */
  stats(): AuditSinkStats {
    return {
      accepted: this.#accepted,
      written: this.#accepted,
      dropped: this.#dropped,
      diverted: 0,
      failed: 0,
      invalid: this.#invalid,
      queued: 0,
    };
  }

  /** Forgets the stored events (the counters stay). */
  clear(): void {
    this.events.length = 0;
  }
}
