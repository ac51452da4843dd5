// Shared by the sink tests and the child processes they spawn: a
// deterministic event for each index, covering all six outcomes and every
// optional key, the invalid inputs every sink must survive, a check of
// written lines, and a way to exit the process at once on any runtime.

import assert from "node:assert/strict";
import { type CallEvent, type Outcome, parseCallEvent } from "../../../mod.ts";

const BASE_MS = Date.UTC(2026, 4, 29, 10, 0, 0, 0);

/** The outcome of event `i`: the six kinds in turn, with varied fields. */
function outcomeOf(i: number): Outcome {
  switch (i % 6) {
    case 0:
      return { kind: "success" };
    case 1:
      return {
        kind: "invalid_args",
        message: i % 7 === 1
          // A newline, quotes, a backslash, non-ASCII, U+2028 and a lone
          // surrogate: none of them may split or forge a line.
          ? `bad "path"\n{"ts":"forged"}\\ é 😀 \u2028 \ud800 #${i}`
          : `path is required #${i}`,
      };
    case 2:
      return {
        kind: "execution_failed",
        code: i % 4 === 2 ? "FS_NOT_FOUND" : "E_TIMEOUT",
        retryable: i % 4 === 2,
      };
    case 3:
      return {
        kind: "capability_denied",
        missing: i % 2 === 1 ? ["fs.read", "fs.write"] : [],
      };
    case 4:
      return { kind: "rate_limited", retry_after_ms: i % 4 === 0 ? null : i };
    default:
      return { kind: "tool_not_found" };
  }
}

/**
 * Event number `i`, the same in every process. Optional keys are left out
 * (not set to `undefined`) when absent, as a parsed line has them.
 */
export function makeEvent(i: number): CallEvent {
  const event: CallEvent = {
    ts: new Date(BASE_MS + i).toISOString(),
    call_id: `call-${String(i).padStart(8, "0")}`,
    tool_id: `ref:tool.n${i % 13}`,
    granted_capabilities: i % 4 === 0 ? [] : ["fs.read", "net.fetch"],
    duration_ms: (i * 7) % 100_000,
    outcome: outcomeOf(i),
    tier: ["hot", "warm", "cold"][i % 3],
    dry_run: i % 5 === 0,
    schema_version: 3,
    secrets_resolved: i % 2 === 0,
  };
  if (i % 3 !== 0) event.caller_id = `client-${i % 17}`;
  if (i % 4 === 1) event.cursor_page = 1 + (i % 10);
  if (i % 5 === 2) {
    event.capability_provenance = [
      { cap: "fs.read", source: { kind: "string_allow_list" } },
      {
        cap: "net.fetch",
        source: {
          kind: "ucan_chain",
          issuer_did: `did:key:z6Mk${i}`,
          chain_depth: i % 256,
        },
      },
    ];
  }
  return event;
}

/** Events `from` to `from + n - 1`. */
export function makeEvents(n: number, from = 0): CallEvent[] {
  return Array.from({ length: n }, (_, k) => makeEvent(from + k));
}

/** One input that no sink may write, and what its error must name. */
export interface InvalidInput {
  name: string;
  value: unknown;
  /** What the error's message must match (the field, where there is one). */
  message: RegExp;
}

/** Inputs `onCall` must take without throwing, and count as invalid. */
export function invalidInputs(): InvalidInput[] {
  const cyclic: string[] = [];
  (cyclic as unknown[]).push(cyclic);
  const throwing = { ...makeEvent(0) } as Record<string, unknown>;
  Object.defineProperty(throwing, "tool_id", {
    enumerable: true,
    get(): never {
      throw new Error("getter boom");
    },
  });
  return [
    { name: "null", value: null, message: /\S/ },
    { name: "42", value: 42, message: /\S/ },
    { name: '"x"', value: "x", message: /\S/ },
    { name: "{}", value: {}, message: /"ts"/ },
    {
      name: "a BigInt duration_ms",
      value: { ...makeEvent(1), duration_ms: 5n },
      message: /duration_ms/,
    },
    {
      name: "a NaN duration_ms",
      value: { ...makeEvent(2), duration_ms: NaN },
      message: /duration_ms/,
    },
    {
      name: "a cycle inside outcome",
      value: {
        ...makeEvent(3),
        outcome: { kind: "capability_denied", missing: cyclic },
      },
      message: /outcome\.missing/,
    },
    {
      name: "a getter that throws",
      value: throwing,
      message: /tool_id|getter boom/,
    },
  ];
}

/**
 * Hands each input to `sink.onCall`, asserting that the call neither throws
 * nor returns anything.
 */
export function callWithEach(
  sink: { onCall(event: CallEvent): void },
  inputs: readonly InvalidInput[],
): void {
  for (const input of inputs) {
    let returned: unknown = "not called";
    assert.doesNotThrow(
      () => void (returned = sink.onCall(input.value as CallEvent)),
      input.name,
    );
    assert.equal(returned, undefined, input.name);
  }
}

/**
 * Asserts that `text` is exactly the lines of `expected`, in order: UTF-8
 * JSON lines without a byte-order mark, each ended by `\n`, no blank line,
 * each parsing with `parseCallEvent` to the event given.
 */
export function assertEventLines(
  text: string,
  expected: readonly CallEvent[],
  where = "output",
): void {
  assert.ok(!text.startsWith("\ufeff"), `${where} starts with a BOM`);
  if (expected.length === 0) {
    assert.equal(text, "", `${where} should be empty`);
    return;
  }
  if (!text.endsWith("\n")) {
    const whole = text.split("\n").length - 1;
    assert.fail(
      `${where} does not end with "\\n": ${whole} whole lines of ${expected.length} expected, then ${
        text.length - text.lastIndexOf("\n") - 1
      } characters of a cut line`,
    );
  }
  const lines = text.slice(0, -1).split("\n");
  const blank = lines.indexOf("");
  assert.equal(blank, -1, `${where} has a blank line at index ${blank}`);
  assert.equal(lines.length, expected.length, `${where}: number of lines`);
  for (let i = 0; i < lines.length; i++) {
    let parsed: CallEvent;
    try {
      parsed = parseCallEvent(lines[i]);
    } catch (error) {
      assert.fail(
        `${where}: line ${i} does not parse (${(error as Error).message}): ${
          lines[i].slice(0, 300)
        }`,
      );
    }
    assert.deepEqual(parsed, expected[i], `${where}: line ${i}`);
  }
}

/** Ends the process now, in this turn: `Deno.exit` or `process.exit`. */
export function exitNow(code: number, how: "native" | "process"): never {
  const deno = (globalThis as { Deno?: { exit(code: number): never } }).Deno;
  if (how === "native" && deno !== undefined) return deno.exit(code);
  const process = (globalThis as unknown as {
    process: { exit(code: number): never };
  }).process;
  return process.exit(code);
}

/** The child's own arguments (after the script), on any runtime. */
export function childArgs(): string[] {
  return (globalThis as unknown as { process: { argv: string[] } }).process
    .argv.slice(2);
}

/** Starts the line a child prints after the sink's lines, with a report. */
export const MARKER = "calltrail-test-marker";
