import { describe } from "../_describe.ts";
import { errorMessage } from "../_error_message.ts";
import { rateLimitedConsoleReporter } from "../_report.ts";
import type { AuditSink } from "../audit_sink.ts";
import type { SendOptions } from "../json_lines_audit_sink_options.ts";
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
   * @returns A promise that resolves when all flushes settled. It never
   * rejects: a sink whose flush fails is reported to `onError`.
   */
  flush(): Promise<void>;
  /**
   * Closes every sink that can.
   *
   * @returns A promise that resolves when all closes settled. It never
   * rejects: a sink whose close fails is reported to `onError`.
   */
  close(): Promise<void>;
}

/**
 * Options of {@linkcode fanoutAuditSink}.
 *
 * @example Collect the fan-out's errors
 * ```ts
 * import {
 *   fanoutAuditSink,
 *   type FanoutAuditSinkOptions,
 *   MemoryAuditSink,
 * } from "@calltrail/audit";
 *
 * const errors: Error[] = [];
 * const options: FanoutAuditSinkOptions = {
 *   onError: (error) => void errors.push(error),
 * };
 * const sink = fanoutAuditSink([new MemoryAuditSink()], options);
 * await sink.close();
 * ```
 */
export interface FanoutAuditSinkOptions {
  /**
   * Called with each failure of a sink: an `onCall` or `drops` that threw,
   * a `flush` or `close` that failed. It must not throw (if it does, the
   * error is ignored).
   *
   * @default {a short line on console.error, at most once a second}
   */
  onError?: (error: Error) => void;
}

/** What a sink may have beyond {@linkcode AuditSink}. */
interface FullSink extends AuditSink {
  send?(event: CallEvent, options?: SendOptions): Promise<void>;
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Combines sinks into one that hands every event to each of them, in order.
 * A sink that throws from `onCall` does not stop the others: its event
 * counts as lost in the fan-out's `drops()`, which is that count plus the
 * sum of the sinks' own `drops()`, and `onError` is told.
 *
 * Call it with the sinks as arguments, or with an array of sinks and
 * options.
 *
 * @param sinks The sinks to feed.
 * @returns The combined sink.
 * @throws {TypeError} When one of `sinks` has no `onCall` method, or
 * `onError` is not a function.
 *
 * @example A file for the audit, memory for the host's own checks
 * ```ts
 * import {
 *   fanoutAuditSink,
 *   fileAuditSink,
 *   MemoryAuditSink,
 *   startCall,
 * } from "@calltrail/audit";
 * import assert from "node:assert/strict";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 *
 * const dir = await mkdtemp(join(tmpdir(), "calltrail-"));
 * const memory = new MemoryAuditSink();
 * const file = await fileAuditSink(join(dir, "audit.jsonl"));
 * const sink = fanoutAuditSink(file, memory);
 * sink.onCall(startCall({ tool_id: "ref:echo.say", tier: "hot" })
 *   .finish({ kind: "success" }));
 * await sink.close();
 * assert(memory.events.length === 1 && sink.drops() === 0);
 * ```
 */
export function fanoutAuditSink(...sinks: AuditSink[]): FanoutAuditSink;
/**
 * Combines sinks into one, with options.
 *
 * @param sinks The sinks to feed.
 * @param options An `onError` for the sinks' failures.
 * @returns The combined sink.
 * @throws {TypeError} When one of `sinks` has no `onCall` method, or
 * `onError` is not a function.
 *
 * @example Report failing sinks to your own logger
 * ```ts
 * import { fanoutAuditSink, MemoryAuditSink } from "@calltrail/audit";
 *
 * const sink = fanoutAuditSink([new MemoryAuditSink()], {
 *   onError: (error) => console.warn(error.message),
 * });
 * await sink.close();
 * ```
 */
export function fanoutAuditSink(
  sinks: readonly AuditSink[],
  options?: FanoutAuditSinkOptions,
): FanoutAuditSink;
export function fanoutAuditSink(...args: unknown[]): FanoutAuditSink {
  const listed = Array.isArray(args[0]);
  const sinks = (listed ? args[0] : args) as unknown[];
  const options = (listed ? args[1] : undefined) as
    | FanoutAuditSinkOptions
    | undefined;
  sinks.forEach((sink, i) => {
    if (typeof (sink as AuditSink)?.onCall !== "function") {
      throw new TypeError(
        `calltrail: fanoutAuditSink() takes AuditSinks; ${
          listed ? "sinks[" + i + "]" : "argument " + i
        } is ${describe(sink)}, which has no onCall method.`,
      );
    }
  });
  const onError = options?.onError;
  if (onError !== undefined && typeof onError !== "function") {
    throw new TypeError(
      `calltrail: the onError option of fanoutAuditSink must be a function, got ${
        describe(onError)
      }.`,
    );
  }
  return new Fanout(
    [...sinks] as FullSink[],
    onError ?? rateLimitedConsoleReporter(),
  );
}

/** The fan-out: every call reaches each sink, whatever the others do. */
class Fanout implements FanoutAuditSink {
  readonly #sinks: readonly FullSink[];
  readonly #onError: (error: Error) => void;
  /** Events lost because a sink threw from onCall. */
  #lost = 0;

  constructor(sinks: readonly FullSink[], onError: (error: Error) => void) {
    this.#sinks = sinks;
    this.#onError = onError;
  }

  onCall(event: CallEvent): void {
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) {
      try {
        sinks[i].onCall(event);
      } catch (error) {
        this.#lost++;
        this.#fault(
          i,
          "threw from onCall",
          error,
          "its event was lost (counted in drops()); an AuditSink's onCall must never throw",
        );
      }
    }
  }

  async send(event: CallEvent, options?: SendOptions): Promise<void> {
    const results = await Promise.allSettled(
      this.#sinks.map(async (sink) => {
        if (typeof sink.send === "function") await sink.send(event, options);
        else sink.onCall(event);
      }),
    );
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
  }

  drops(): number {
    let total = this.#lost;
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) {
      try {
        total += sinks[i].drops();
      } catch (error) {
        this.#fault(
          i,
          "threw from drops()",
          error,
          "its losses are left out; an AuditSink's drops() must never throw",
        );
      }
    }
    return total;
  }

  flush(): Promise<void> {
    return this.#each("flush");
  }

  close(): Promise<void> {
    return this.#each("close");
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Calls `method` on each sink that has it; reports the failures. */
  async #each(method: "flush" | "close"): Promise<void> {
    await Promise.all(this.#sinks.map(async (sink, i) => {
      try {
        await sink[method]?.();
      } catch (error) {
        this.#fault(i, `failed to ${method}`, error, "the others went on");
      }
    }));
  }

  /** Tells onError that sink `i` failed: `what` it did, and the `effect`. */
  #fault(i: number, what: string, thrown: unknown, effect: string): void {
    try {
      this.#onError(
        new Error(
          `calltrail: sink ${i} of fanoutAuditSink ${what} (${
            errorMessage(thrown)
          }); ${effect}.`,
          { cause: thrown },
        ),
      );
    } catch {
      // onError must not throw; if it does, there is no one left to tell.
    }
  }
}
