// consoleAuditSink, with the console's methods replaced for the length of
// each test (and restored in `finally`) to see every call.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AuditSinkStats,
  type CallEvent,
  consoleAuditSink,
  parseCallEvent,
} from "../../mod.ts";
import { stats } from "../_helpers.ts";
import {
  callWithEach,
  invalidInputs,
  makeEvent,
  makeEvents,
} from "./children/events.ts";

const METHODS = ["log", "error", "warn", "info", "debug"] as const;
type Method = typeof METHODS[number];
type Calls = Record<Method, unknown[][]>;

/**
 * Runs `fn` with console.log, error, warn, info and debug replaced by
 * recorders of their calls; puts the originals back afterwards.
 */
async function capturingConsole(
  fn: (calls: Calls) => Promise<void>,
): Promise<void> {
  const saved = {} as Record<Method, (...args: unknown[]) => void>;
  const calls = {} as Calls;
  for (const method of METHODS) {
    saved[method] = console[method];
    calls[method] = [];
    console[method] = (...args: unknown[]) => void calls[method].push(args);
  }
  try {
    await fn(calls);
  } finally {
    for (const method of METHODS) console[method] = saved[method];
  }
}

/** Asserts that `calls` are one call per event, each a single parsing line. */
/** The stats of a sink that wrote `n` events and nothing else. */
const written = (n: number): AuditSinkStats =>
  stats({ accepted: n, written: n });

function assertOneCallPerEvent(
  calls: unknown[][],
  events: readonly CallEvent[],
): void {
  assert.equal(calls.length, events.length, "number of console.log calls");
  calls.forEach((args, i) => {
    assert.equal(args.length, 1, `call ${i}: number of arguments`);
    const [line] = args;
    assert.equal(typeof line, "string", `call ${i}: argument type`);
    assert.ok(
      !(line as string).includes("\n"),
      `call ${i}: more than one line: ${JSON.stringify(line).slice(0, 300)}`,
    );
    assert.deepEqual(parseCallEvent(line as string), events[i], `call ${i}`);
  });
}

describe("consoleAuditSink", () => {
  test("one console.log call per event, each a single line that parses to the event", async () => {
    const n = 3_000;
    const events = makeEvents(n);
    const errors: Error[] = [];
    await capturingConsole(async (calls) => {
      const sink = consoleAuditSink({
        capacity: n,
        onError: (error) => void errors.push(error),
      });
      for (const event of events) sink.onCall(event);
      await sink.flush();
      assertOneCallPerEvent(calls.log, events);
      assert.deepEqual(sink.stats(), written(n));
      await sink.close();
      assert.equal(calls.log.length, n, "console.log calls after close()");
      for (const method of ["error", "warn", "info", "debug"] as const) {
        assert.deepEqual(calls[method], [], `console.${method} calls`);
      }
    });
    assert.deepEqual(errors, []);
  });

  test("the line logged is the event as it was at onCall", async () => {
    await capturingConsole(async (calls) => {
      const sink = consoleAuditSink();
      const event = makeEvent(1);
      sink.onCall(event);
      event.tool_id = "ref:changed";
      event.granted_capabilities.push("admin");
      (event.outcome as { message: string }).message = "rewritten";
      await sink.close();
      assertOneCallPerEvent(calls.log, [makeEvent(1)]);
    });
  });

  test("close() does not touch the console", async () => {
    await capturingConsole(async (calls) => {
      const replaced = Object.fromEntries(
        METHODS.map((method) => [method, console[method]]),
      );
      const sink = consoleAuditSink();
      for (const event of makeEvents(3)) sink.onCall(event);
      await sink.flush();
      assertOneCallPerEvent(calls.log, makeEvents(3));

      await sink.close();
      await sink.close();
      for (const method of METHODS) {
        assert.equal(console[method], replaced[method], `console.${method}`);
      }
      assertOneCallPerEvent(calls.log, makeEvents(3));
      for (const method of ["error", "warn", "info", "debug"] as const) {
        assert.deepEqual(calls[method], [], `console.${method} calls`);
      }

      // The console still works; the closed sink drops, and logs nothing.
      console.log("still here");
      sink.onCall(makeEvent(3));
      assert.deepEqual(calls.log.at(-1), ["still here"]);
      assert.equal(calls.log.length, 4);
      assert.deepEqual(sink.stats(), { ...written(3), dropped: 1 });
    });
  });

  test("send() logs without loss, and rejects after close()", async () => {
    await capturingConsole(async (calls) => {
      const sink = consoleAuditSink({ capacity: 2 });
      for (const event of makeEvents(50)) await sink.send(event);
      await sink.close();
      assertOneCallPerEvent(calls.log, makeEvents(50));
      await assert.rejects(
        () => sink.send(makeEvent(50)),
        (error: unknown) =>
          error instanceof Error && /close/.test(error.message),
      );
      assert.deepEqual(sink.stats(), { ...written(50), dropped: 1 });
      assert.equal(calls.log.length, 50);
    });
  });

  test("invalid input: onCall never throws, counts it as invalid, tells onError, logs nothing", async () => {
    const inputs = invalidInputs();
    const errors: unknown[] = [];
    await capturingConsole(async (calls) => {
      const sink = consoleAuditSink({
        onError: (error) => void errors.push(error),
      });
      sink.onCall(makeEvent(0));
      callWithEach(sink, inputs);
      sink.onCall(makeEvent(1));
      await sink.close();
      assertOneCallPerEvent(calls.log, makeEvents(2));
      assert.deepEqual(sink.stats(), {
        ...written(2),
        invalid: inputs.length,
      });
      assert.deepEqual(calls.error, [], "console.error with an onError given");
    });
    assert.equal(errors.length, inputs.length);
    inputs.forEach((input, i) => {
      const error = errors[i];
      assert.ok(error instanceof Error, `${input.name}: not an Error`);
      assert.match(error.message, input.message, input.name);
    });
  });

  test("without onError, invalid events are reported on console.error, rate-limited", async () => {
    await capturingConsole(async (calls) => {
      const sink = consoleAuditSink();
      const bad = { ...makeEvent(0), duration_ms: -1 };
      for (let i = 0; i < 5; i++) sink.onCall(bad);
      await sink.close();
      assert.equal(sink.stats().invalid, 5);
      assert.deepEqual(calls.log, []);
      // A short line at most once a second: five errors in one turn make one.
      assert.equal(calls.error.length, 1, "console.error calls");
      const [message] = calls.error[0];
      assert.equal(typeof message, "string");
      assert.match(message as string, /duration_ms/);
    });
  });
});
