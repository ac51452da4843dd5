// Model-based chaos test of JsonLinesAuditSink (SPEC §2 and §4). fast-check
// commands interleave onCall, send (with and without an AbortSignal, some
// aborted later), bursts of both, flush and close with a destination whose
// every write the model holds until a command releases it (at once or after
// a delay), fails it, lets writes flow, or stalls the destination for ever.
// After every command the counters are checked against the model, which
// predicts each call's fate. At the end close() must resolve (by closeTimeout
// when the destination stalled), every send and flush must have settled, the
// destination must hold exactly the accepted lines, whole and in order, and
// no promise rejection may have gone unhandled.

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { runtime, tick } from "./_helpers.ts";
import { paramsArb, stepArb, World } from "./_chaos_model.ts";

/** Every promise rejection left unhandled while this file runs, and where. */
const unhandled: string[] = [];
/** The run under way, to tell where an unhandled rejection happened. */
let current: World | undefined = undefined;

function recordUnhandled(reason: unknown): void {
  const where = current === undefined
    ? "outside a run"
    : `in a run with ${JSON.stringify(current.p)}, after ${
      current.log.join(", ") || "no command"
    }`;
  const what = reason instanceof Error
    ? reason.stack ?? reason.message
    : String(reason);
  unhandled.push(`${what} (${where})`);
  // The test runners fail the test on an unhandled rejection themselves,
  // maybe before the property can report its counterexample: say it now.
  console.error(`unhandled rejection: ${what}\n  ${where}`);
}

// For the whole file. Bun's test runner fails the test before any handler.
if (runtime === "deno") {
  globalThis.addEventListener(
    "unhandledrejection",
    (event: PromiseRejectionEvent) => {
      event.preventDefault();
      recordUnhandled(event.reason);
    },
  );
} else process.on("unhandledRejection", recordUnhandled);

test(
  "chaos: any interleaving of calls, flushes, close and destination faults keeps the books, settles every promise and leaves no rejection unhandled",
  {
    timeout: 120_000, // a hang guard only (Bun's default is 5 s)
  },
  async () => {
    await fc.assert(
      fc.asyncProperty(
        paramsArb,
        fc.commands([stepArb], { maxCommands: 40, size: "max" }),
        async (params, steps) => {
          const world = current = new World(params);
          try {
            await fc.asyncModelRun(
              () => ({ model: world, real: world }),
              steps,
            );
            await world.finish();
            // Let any unhandled rejection surface before looking.
            await tick(0);
          } finally {
            current = undefined;
          }
          assert.deepEqual(unhandled, [], "unhandled rejections");
        },
      ),
      { numRuns: 100 },
    );
  },
);
