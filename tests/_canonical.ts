// Shared by the tests of the serializer and the sink: what makes a written
// line canonical (SPEC §1), and the lines of a sink's output.

import assert from "node:assert/strict";
import { type CallEvent, parseCallEvent, serializeCallEvent } from "../mod.ts";
import { REQUIRED_KEYS, SPEC_KEYS } from "./_arbitraries.ts";

const OUTCOME_KEYS: Record<string, string[]> = {
  success: ["kind"],
  invalid_args: ["kind", "message"],
  execution_failed: ["kind", "code", "retryable"],
  capability_denied: ["kind", "missing"],
  rate_limited: ["kind", "retry_after_ms"],
  tool_not_found: ["kind"],
};
const SOURCE_KEYS: Record<string, string[]> = {
  string_allow_list: ["kind"],
  ucan_chain: ["kind", "issuer_did", "chain_depth"],
};

/**
 * A written line is canonical: compact JSON as JSON.stringify writes it, only
 * SPEC keys in SPEC order (also inside outcome and provenance), and it parses
 * with parseCallEvent and re-serializes to the same bytes.
 */
export function assertCanonical(line: string, where: string): void {
  const at = `${where}: ${line.slice(0, 300)}`;
  assert.equal(JSON.stringify(JSON.parse(line)), line, `not compact: ${at}`);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const keys = Object.keys(parsed);
  const ranks = keys.map((key) => SPEC_KEYS.indexOf(key));
  assert.ok(
    ranks.every((rank, i) => rank >= 0 && (i === 0 || rank > ranks[i - 1])),
    `keys ${JSON.stringify(keys)} are not SPEC keys in SPEC order: ${at}`,
  );
  for (const key of REQUIRED_KEYS) {
    assert.ok(keys.includes(key), `missing ${key}: ${at}`);
  }
  const outcome = parsed.outcome as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(outcome),
    OUTCOME_KEYS[outcome.kind as string],
    `outcome keys: ${at}`,
  );
  for (
    const entry of (parsed.capability_provenance ?? []) as Record<
      string,
      Record<string, unknown>
    >[]
  ) {
    assert.deepEqual(Object.keys(entry), ["cap", "source"], `entry: ${at}`);
    assert.deepEqual(
      Object.keys(entry.source),
      SOURCE_KEYS[entry.source.kind as string],
      `source keys: ${at}`,
    );
  }
  let event: CallEvent;
  try {
    event = parseCallEvent(line);
  } catch (error) {
    assert.fail(`does not parse (${(error as Error).message}): ${at}`);
  }
  assert.equal(serializeCallEvent(event), line, `no round trip: ${at}`);
}

/** Splits a sink's output into lines, asserting it ends with "\n". */
export function linesOf(output: string, where: string): string[] {
  if (output === "") return [];
  assert.ok(output.endsWith("\n"), `${where}: output ends with a newline`);
  return output.slice(0, -1).split("\n");
}

/** serializeCallEvent's line for `input`, or undefined if it rejects it. */
export function lineOf(input: unknown): string | undefined {
  try {
    return serializeCallEvent(input as CallEvent);
  } catch {
    return undefined;
  }
}

/** A printable name for anything, even what String() cannot print. */
export function show(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
