import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type CallEvent, serializeCallEvent } from "../mod.ts";
import { builders } from "../serialize_call_event.ts";
import { callEventArb, SPEC_KEYS } from "./_arbitraries.ts";
import { sampleEvent } from "./_helpers.ts";
import { writeVectors } from "./_vectors.ts";

describe("serializeCallEvent", () => {
  test("has the write vectors", () => {
    assert.ok(writeVectors.length >= 10);
  });
  for (const vector of writeVectors) {
    test(`writes the canonical line: ${vector.name}`, () => {
      assert.equal(serializeCallEvent(vector.event), vector.line);
    });
  }

  test("writes keys in wire order whatever the object's order", () => {
    const reversed = Object.fromEntries(
      Object.entries(sampleEvent({ cursor_page: 3 })).reverse(),
    );
    assert.equal(
      serializeCallEvent(reversed as never),
      serializeCallEvent(sampleEvent({ cursor_page: 3 })),
    );
    const keys = Object.keys(JSON.parse(serializeCallEvent(reversed as never)));
    // Every key of the spec, in its order, but capability_provenance.
    assert.deepEqual(
      keys,
      SPEC_KEYS.filter((key) => key !== "capability_provenance"),
    );
  });

  test("writes outcome keys in the order of the spec", () => {
    const line = serializeCallEvent(sampleEvent({
      outcome: {
        retryable: true,
        code: "E",
        kind: "execution_failed",
      } as never,
    }));
    assert.match(
      line,
      /"outcome":\{"kind":"execution_failed","code":"E","retryable":true\}/,
    );
    const limited = serializeCallEvent(sampleEvent({
      outcome: { retry_after_ms: 250, kind: "rate_limited" },
    }));
    assert.match(
      limited,
      /"outcome":\{"kind":"rate_limited","retry_after_ms":250\}/,
    );
  });

  test("leaves out absent optional keys, also when null or undefined", () => {
    for (const value of [undefined, null]) {
      const line = serializeCallEvent(sampleEvent({
        caller_id: value as never,
        cursor_page: value as never,
        capability_provenance: value as never,
      }));
      assert.doesNotMatch(
        line,
        /caller_id|cursor_page|capability_provenance|null/,
      );
    }
  });

  test("writes a missing secrets_resolved as false, and a missing retry_after_ms as null", () => {
    const event: Record<string, unknown> = {
      ...sampleEvent({ outcome: { kind: "rate_limited" } as never }),
    };
    delete event.secrets_resolved;
    const line = serializeCallEvent(event as never);
    assert.match(line, /"secrets_resolved":false/);
    assert.match(line, /"retry_after_ms":null/);
  });

  test("escapes quotes, newlines, control characters and lone surrogates", () => {
    const nasty = 'a"b\\c\nd\re\u0000f\u2028g\ud800h\udc00i😀';
    const line = serializeCallEvent(sampleEvent({
      tool_id: nasty,
      outcome: { kind: "invalid_args", message: '"}\n{"ts":"forged"' },
    }));
    assert.equal(line.includes("\n"), false);
    assert.equal(line.includes("\r"), false);
    assert.match(line, /\\ud800/);
    assert.match(line, /\\udc00/);
    const parsed = JSON.parse(line);
    assert.equal(parsed.tool_id, nasty);
    assert.equal(parsed.outcome.message, '"}\n{"ts":"forged"');
    // Well-formed: encodes to UTF-8 and back without replacement characters.
    const roundTrip = new TextDecoder("utf-8", { fatal: true }).decode(
      new TextEncoder().encode(line),
    );
    assert.equal(roundTrip, line);
  });

  test("writes -0 as 0", () => {
    assert.match(
      serializeCallEvent(sampleEvent({ duration_ms: -0 })),
      /"duration_ms":0,/,
    );
  });

  test("reads each field once (a snapshot, even of getters)", () => {
    let reads = 0;
    const event = sampleEvent();
    Object.defineProperty(event, "tool_id", {
      get: () => `tool-${++reads}`,
      enumerable: true,
    });
    assert.match(serializeCallEvent(event), /"tool_id":"tool-1"/);
    assert.equal(reads, 1);
  });

  const bad: [string, unknown, string][] = [
    ["null", null, "CallEvent object"],
    ["a number", 42, "CallEvent object"],
    ["a string", "event", "CallEvent object"],
    ["missing ts", sampleEvent({ ts: undefined }), '"ts"'],
    ["ts not RFC 3339", sampleEvent({ ts: "yesterday" }), '"ts"'],
    ["ts with month 13", sampleEvent({ ts: "2026-13-01T00:00:00Z" }), '"ts"'],
    ["empty call_id", sampleEvent({ call_id: "" }), '"call_id"'],
    ["numeric call_id", sampleEvent({ call_id: 7 as never }), '"call_id"'],
    ["missing tool_id", sampleEvent({ tool_id: undefined }), '"tool_id"'],
    [
      "numeric caller_id",
      sampleEvent({ caller_id: 1 as never }),
      '"caller_id"',
    ],
    [
      "capabilities not an array",
      sampleEvent({ granted_capabilities: "read" as never }),
      '"granted_capabilities"',
    ],
    [
      "a non-string capability",
      sampleEvent({ granted_capabilities: ["a", 2 as never] }),
      '"granted_capabilities[1]"',
    ],
    [
      "a hole among capabilities",
      sampleEvent({ granted_capabilities: [, "b"] as never }),
      '"granted_capabilities[0]"',
    ],
    ["NaN duration", sampleEvent({ duration_ms: NaN }), '"duration_ms"'],
    [
      "Infinity duration",
      sampleEvent({ duration_ms: Infinity }),
      '"duration_ms"',
    ],
    ["fractional duration", sampleEvent({ duration_ms: 1.5 }), '"duration_ms"'],
    ["negative duration", sampleEvent({ duration_ms: -1 }), '"duration_ms"'],
    [
      "BigInt duration",
      sampleEvent({ duration_ms: 5n as never }),
      '"duration_ms"',
    ],
    [
      "duration above 2^53",
      sampleEvent({ duration_ms: 2 ** 53 }),
      '"duration_ms"',
    ],
    ["missing outcome", sampleEvent({ outcome: undefined }), '"outcome"'],
    [
      "unknown outcome kind",
      sampleEvent({ outcome: { kind: "exploded" } as never }),
      '"outcome.kind"',
    ],
    [
      "invalid_args without message",
      sampleEvent({ outcome: { kind: "invalid_args" } as never }),
      '"outcome.message"',
    ],
    [
      "execution_failed without retryable",
      sampleEvent({
        outcome: { kind: "execution_failed", code: "E" } as never,
      }),
      '"outcome.retryable"',
    ],
    [
      "capability_denied with a number",
      sampleEvent({
        outcome: { kind: "capability_denied", missing: [1] } as never,
      }),
      '"outcome.missing[0]"',
    ],
    [
      "negative retry_after_ms",
      sampleEvent({ outcome: { kind: "rate_limited", retry_after_ms: -5 } }),
      '"outcome.retry_after_ms"',
    ],
    ["empty tier", sampleEvent({ tier: "" }), '"tier"'],
    ["string dry_run", sampleEvent({ dry_run: "false" as never }), '"dry_run"'],
    [
      "schema_version 4",
      sampleEvent({ schema_version: 4 }),
      '"schema_version"',
    ],
    [
      "numeric secrets_resolved",
      sampleEvent({ secrets_resolved: 0 as never }),
      '"secrets_resolved"',
    ],
    ["cursor_page 0", sampleEvent({ cursor_page: 0 }), '"cursor_page"'],
    [
      "provenance not an array",
      sampleEvent({ capability_provenance: {} as never }),
      '"capability_provenance"',
    ],
    [
      "provenance with a bad source",
      sampleEvent({
        capability_provenance: [{ cap: "a", source: { kind: "x" } }] as never,
      }),
      '"capability_provenance[0].source.kind"',
    ],
    [
      "chain_depth 256",
      sampleEvent({
        capability_provenance: [{
          cap: "a",
          source: {
            kind: "ucan_chain",
            issuer_did: "did:key:z",
            chain_depth: 256,
          },
        }],
      }),
      "chain_depth",
    ],
  ];
  for (const [name, event, field] of bad) {
    test(`rejects ${name}, naming the field`, () => {
      assert.throws(
        () => serializeCallEvent(event as never),
        (error: Error) => {
          assert.ok(error instanceof TypeError, `a TypeError, got ${error}`);
          assert.ok(
            error.message.includes(field),
            `"${error.message}" names ${field}`,
          );
          return true;
        },
      );
    });
  }

  test("ignores properties outside the spec, also cyclic ones", () => {
    const event: Record<string, unknown> = { ...sampleEvent() };
    event.args = { ssn: "123-45-6789" };
    event.self = event;
    (event.outcome as Record<string, unknown>).extra = event;
    const line = serializeCallEvent(event as never);
    assert.equal(line, serializeCallEvent(sampleEvent()));
  });
});

describe("the two line builders (V8: concatenation, Bun: JSON.stringify)", () => {
  const { byConcatenation, byStringify } = builders;
  const outcomeOf = (build: (e: CallEvent) => string, event: CallEvent) => {
    try {
      return { line: build(event) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };

  test("write the same bytes for every valid event, as canonical JSON", () => {
    fc.assert(
      fc.property(callEventArb, (event) => {
        const line = byConcatenation(event);
        assert.equal(byStringify(event), line);
        assert.equal(JSON.stringify(JSON.parse(line)), line);
      }),
      { numRuns: 500 },
    );
  });

  test("reject the same invalid events with the same message", () => {
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constant(NaN),
      fc.constant(-0.5),
      fc.constant(2n),
      fc.constant(""),
      fc.constant([1]),
      fc.constant({}),
      fc.string(),
      fc.integer(),
      fc.boolean(),
    );
    const keys = Object.keys(sampleEvent({ cursor_page: 1 }));
    fc.assert(
      fc.property(
        callEventArb,
        fc.constantFrom(...keys, "outcome.kind", "outcome.message"),
        junk,
        (event, key, value) => {
          const broken = structuredClone(event) as unknown as Record<
            string,
            Record<string, unknown>
          >;
          if (key.startsWith("outcome.")) {
            broken.outcome[key.slice(8)] = value;
          } else {
            (broken as Record<string, unknown>)[key] = value;
          }
          assert.deepEqual(
            outcomeOf(byStringify, broken as never),
            outcomeOf(byConcatenation, broken as never),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
