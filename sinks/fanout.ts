import { describe } from "../_describe.ts";
import { rateLimitedConsoleReporter } from "../_report.ts";
import type { AuditSink } from "../audit_sink.ts";
import type { SendOptions } from "../json_lines_audit_sink.ts";
import type { CallEvent } from "../types.ts";

/**
 * A sink that hands every event to several sinks. `send`, `flush` and
 * `close` reach the sinks that have them.
 *
 * @example Flush and close several sinks at once
 * ```ts
 * import {
 *   type FanoutAuditSink,
 *   fanoutAuditSink,
 *   JsonLinesAuditSink,
 *   MemoryAuditSink,
 * } from "@calltrail/audit";
 *
 * const sink: FanoutAuditSink = fanoutAuditSink(
 *   new JsonLinesAuditSink(new WritableStream()),
 *   new MemoryAuditSink(),
 * );
 * await sink.flush();
 * await sink.close();
 * ```
 */
export interface FanoutAuditSink extends AuditSink, AsyncDisposable {
  /**
   * Sends the event to every sink: with `send` where a sink has it, else with
   * `onCall`.
   *
   * @param event The finished call's event.
   * @param options Passed to each sink's `send`.
   * @returns A promise that resolves when every sink took the event, and
   * rejects with the first sink's error otherwise (after all settled).
   */
  send(event: CallEvent, options?: SendOptions): Promise<void>;
  /**
   * Flushes every sink that can.
   *
   * @returns A promise that resolves when all flushes settled.
   */
  flush(): Promise<void>;
  /**
   * Closes every sink that can.
   *
   * @returns A promise that resolves when all closes settled.
   */
  close(): Promise<void>;
}

/** What a sink may have beyond {@linkcode AuditSink}. */
interface FullSink extends AuditSink {
  send?(event: CallEvent, options?: SendOptions): Promise<void>;
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Combines sinks into one that hands every event to each of them, in order.
 * Its `drops()` is the sum of theirs.
 *
 * @param sinks The sinks to feed.
 * @returns The combined sink.
 * @throws {TypeError} When one of `sinks` has no `onCall` method.
 *
 * @example A file for the audit, stderr for the operator
 * ```ts
 * import {
 *   fanoutAuditSink,
 *   fileAuditSink,
 *   MemoryAuditSink,
 *   startCall,
 * } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 *
 * const memory = new MemoryAuditSink();
 * const file = await fileAuditSink(`${await Deno.makeTempDir()}/audit.jsonl`);
 * await using sink = fanoutAuditSink(file, memory);
 * sink.onCall(startCall({ tool_id: "ref:echo.say", tier: "hot" })
 *   .finish({ kind: "success" }));
 * assert(memory.events.length === 1 && sink.drops() === 0);
 * ```
 */
export function fanoutAuditSink(...sinks: AuditSink[]): FanoutAuditSink {
  sinks.forEach((sink, i) => {
    if (typeof sink?.onCall !== "function") {
      throw new TypeError(
        `calltrail: fanoutAuditSink() takes AuditSinks; argument ${i} is ${
          describe(sink)
        }, which has no onCall method.`,
      );
    }
  });
  const all = sinks as FullSink[];
  const report = rateLimitedConsoleReporter();
  const settle = async (
    run: (sink: FullSink) => Promise<void> | undefined,
  ): Promise<void> => {
    await Promise.allSettled(all.map(run));
  };
  const close = (): Promise<void> => settle((sink) => sink.close?.());
  return {
    onCall(event: CallEvent): void {
      for (const sink of all) {
        try {
          sink.onCall(event);
        } catch (error) {
          report(
            new Error(
              `calltrail: a sink in fanoutAuditSink threw from onCall (${
                error instanceof Error ? error.message : describe(error)
              }); an AuditSink's onCall must never throw.`,
              { cause: error },
            ),
          );
        }
      }
    },
    async send(event: CallEvent, options?: SendOptions): Promise<void> {
      const results = await Promise.allSettled(
        all.map(async (sink) => {
          if (typeof sink.send === "function") await sink.send(event, options);
          else sink.onCall(event);
        }),
      );
      for (const result of results) {
        if (result.status === "rejected") throw result.reason;
      }
    },
    drops(): number {
      let total = 0;
      for (const sink of all) total += sink.drops();
      return total;
    },
    flush: () => settle((sink) => sink.flush?.()),
    close,
    [Symbol.asyncDispose]: close,
  };
}
