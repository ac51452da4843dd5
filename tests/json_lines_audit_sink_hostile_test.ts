// Hostile inputs for JsonLinesAuditSink (SPEC §1, §2 and §4): whatever
// onCall or send is given, it never throws; each input is either written as
// one canonical line (the event as it was at the call) or counted invalid.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AuditSinkStats,
  type CallEvent,
  JsonLinesAuditSink,
  type JsonLinesAuditSinkOptions,
  serializeCallEvent,
} from "../mod.ts";
import {
  callEventArb,
  hostileValueArb,
  mutatedEventArb,
  SPEC_KEYS,
} from "./_arbitraries.ts";
import { assertCanonical, lineOf, linesOf, show } from "./_canonical.ts";
import { lineStream } from "../_line_destination.ts";
import { runtime, sampleEvent } from "./_helpers.ts";
import { throwables } from "./_throwables.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const utf8Bytes = (text: string): number => encoder.encode(text).length;

/**
 * A sink over a stream that keeps every chunk, and the errors it reports.
 * With `deferLines`, over a destination that defers lines (as the HTTP
 * sinks' do): the queue holds checked copies, serialized when the batch is
 * written.
 */
function openSink(
  options: JsonLinesAuditSinkOptions = {},
  deferLines = false,
) {
  const chunks: Uint8Array[] = [];
  const errors: Error[] = [];
  const destination = deferLines
    ? lineStream({
      write: (batch) => void chunks.push(encoder.encode(batch.text)),
      close: () => {},
      release: () => {},
      abort: () => {},
      deferLines: true,
    })
    : new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) });
  const sink = new JsonLinesAuditSink(
    destination,
    { onError: (error) => void errors.push(error), ...options },
  );
  return {
    sink,
    errors,
    /** Everything written, decoded as strict UTF-8 (throws if it is not). */
    output(): string {
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return strictUtf8.decode(all);
    },
  };
}

/** The spec's example with every optional key, each string field present. */
function fullEvent(): CallEvent {
  return sampleEvent({
    cursor_page: 1,
    capability_provenance: [{
      cap: "c",
      source: { kind: "ucan_chain", issuer_did: "did:key:z", chain_depth: 0 },
    }],
  });
}

type Counter = "accepted" | "dropped" | "invalid";

/** Which of accepted, dropped and invalid grew, asserting exactly one did. */
function grown(
  before: AuditSinkStats,
  after: AuditSinkStats,
  where: string,
): Counter {
  const deltas = (["accepted", "dropped", "invalid"] as const).map(
    (key) => [key, after[key] - before[key]] as const,
  );
  const changed = deltas.filter(([, d]) => d !== 0);
  assert.ok(
    changed.length === 1 && changed[0][1] === 1,
    `${where}: exactly one of accepted/dropped/invalid must grow by 1, got ${
      JSON.stringify(before)
    } -> ${JSON.stringify(after)}`,
  );
  return changed[0][0];
}

/** Calls onCall, asserting it neither throws nor returns; what it counted. */
function onCallChecked(
  sink: JsonLinesAuditSink,
  input: unknown,
  where: string,
): Counter {
  const before = sink.stats();
  let returned: unknown = "not called";
  try {
    returned = sink.onCall(input as CallEvent);
  } catch (error) {
    assert.fail(`${where}: onCall threw ${show(error)}`);
  }
  assert.equal(returned, undefined, `${where}: onCall returned a value`);
  return grown(before, sink.stats(), where);
}

/** Calls send, asserting it returns a promise; how it settled and counted. */
async function sendChecked(
  sink: JsonLinesAuditSink,
  input: unknown,
  where: string,
): Promise<{ counter: Counter; resolved: boolean; error?: unknown }> {
  const before = sink.stats();
  let sent: Promise<void>;
  try {
    sent = sink.send(input as CallEvent);
  } catch (error) {
    assert.fail(`${where}: send threw synchronously ${show(error)}`);
  }
  assert.ok(sent instanceof Promise, `${where}: send returns a promise`);
  const settled = await sent.then(
    () => ({ resolved: true, error: undefined }),
    (error: unknown) => ({ resolved: false, error }),
  );
  return { counter: grown(before, sink.stats(), where), ...settled };
}

/** Assigns `value` over the own property `key` without throwing. */
function overwrite(target: unknown, key: string, value: unknown): void {
  try {
    (target as Record<string, unknown>)[key] = value;
  } catch {
    // A frozen or exotic object: nothing to mutate.
  }
}

describe("JsonLinesAuditSink with hostile input", () => {
  describe("any value, and valid events with a field broken", () => {
    const inputArb = fc.oneof(
      { weight: 2, arbitrary: hostileValueArb.map((value) => ({ value })) },
      {
        weight: 5,
        arbitrary: mutatedEventArb.map(({ event, mutations }) => ({
          value: event as unknown,
          mutations,
        })),
      },
      {
        weight: 1,
        arbitrary: callEventArb.map((e) => ({
          value: structuredClone(e) as unknown,
        })),
      },
    );

    for (const deferLines of [false, true]) {
      test(`onCall and send write the line of the event at the call, or count it invalid (${deferLines ? "a checked copy queued, serialized in the batch" : "the line queued"})`, async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.record({ input: inputArb, viaSend: fc.boolean() }), {
              minLength: 1,
              maxLength: 8,
            }),
            async (calls) => {
              const { sink, errors, output } = openSink({}, deferLines);
              const expected: string[] = [];
              let invalid = 0;
              for (const [i, { input, viaSend }] of calls.entries()) {
                const where = `call ${i} (${viaSend ? "send" : "onCall"})`;
                const line = lineOf(input.value);
                let counter: Counter;
                if (viaSend) {
                  const sent = await sendChecked(sink, input.value, where);
                  counter = sent.counter;
                  assert.equal(sent.resolved, line !== undefined, where);
                  if (!sent.resolved) {
                    assert.ok(sent.error instanceof Error, where);
                    assert.match(sent.error.message, /^calltrail: /, where);
                  }
                } else {
                  counter = onCallChecked(sink, input.value, where);
                }
                assert.equal(
                  counter,
                  line === undefined ? "invalid" : "accepted",
                  where,
                );
                if (line === undefined) invalid++;
                else expected.push(line);
                // Changing the event afterwards must not change its line.
                if ("mutations" in input) {
                  overwrite(input.value, "tool_id", "mutated after the call");
                  overwrite(input.value, "outcome", { kind: "tool_not_found" });
                  overwrite(input.value, "granted_capabilities", ["mutated"]);
                  overwrite(input.value, "call_id", "mutated-call-id");
                }
              }
              assert.equal(
                errors.length,
                invalid,
                "one error per invalid event",
              );
              for (const error of errors) {
                assert.ok(error instanceof Error);
                assert.match(error.message, /^calltrail: /);
              }
              await sink.close();
              const s = sink.stats();
              assert.equal(s.invalid, invalid);
              assert.equal(s.accepted, expected.length);
              assert.equal(s.written, expected.length);
              assert.equal(s.queued, 0);
              const text = output();
              assert.equal(text, expected.map((l) => l + "\n").join(""));
              const lines = linesOf(text, "output");
              assert.equal(lines.length, expected.length);
              lines.forEach((l, i) => assertCanonical(l, `line ${i}`));
            },
          ),
          { numRuns: 150 },
        );
      });
    }
  });

  describe("long lines", () => {
    const MIB = 1024 * 1024;
    const bigEvent = (field: string, value: string): CallEvent => {
      const e = fullEvent();
      const entry = e.capability_provenance![0] as {
        cap: string;
        source: { issuer_did: string };
      };
      switch (field) {
        case "outcome.message":
          e.outcome = { kind: "invalid_args", message: value };
          break;
        case "outcome.code":
          e.outcome = {
            kind: "execution_failed",
            code: value,
            retryable: true,
          };
          break;
        case "granted_capabilities":
          e.granted_capabilities = ["a", value];
          break;
        case "capability_provenance.cap":
          entry.cap = value;
          break;
        case "capability_provenance.issuer_did":
          entry.source.issuer_did = value;
          break;
        default:
          (e as unknown as Record<string, string>)[field] = value;
      }
      return e;
    };
    const fields = [
      "call_id",
      "tool_id",
      "caller_id",
      "tier",
      "granted_capabilities",
      "outcome.message",
      "outcome.code",
      "capability_provenance.cap",
      "capability_provenance.issuer_did",
    ];

    /** The sink rejected `event` as too long, naming the limit and size. */
    function assertTooLong(
      error: Error | undefined,
      event: CallEvent,
      limit: number,
      where: string,
    ): void {
      const bytes = utf8Bytes(serializeCallEvent(event));
      assert.ok(bytes > limit, `${where}: the test's own line is too short`);
      assert.ok(error instanceof RangeError, `${where}: ${show(error)}`);
      assert.match(error.message, /^calltrail: /, where);
      assert.match(error.message, /maxLineBytes/, where);
      assert.ok(error.message.includes(`${bytes} bytes`), where);
      assert.ok(error.message.includes(`(${limit})`), where);
    }

    test("a 2 MiB string field is invalid under the default 1 MiB, and the sink keeps working", async () => {
      const { sink, errors, output } = openSink();
      const next = sampleEvent({ call_id: "the-next-event" });
      for (
        const value of [
          "x".repeat(2 * MIB),
          "€".repeat(2 * MIB / 3), // 2 MiB in UTF-8, 0.67 Mi code units
          "😀".repeat(MIB / 2), // 2 MiB in UTF-8
          "\ud800".repeat(MIB / 3), // 2 MiB once escaped as \ud800
        ]
      ) {
        for (const field of fields) {
          const where = `${field} of ${value.length} code units`;
          const event = bigEvent(field, value);
          const viaSend = field.startsWith("outcome.");
          const before = errors.length;
          if (viaSend) {
            const sent = await sendChecked(sink, event, where);
            assert.equal(sent.counter, "invalid", where);
            assert.equal(sent.resolved, false, where);
            assertTooLong(sent.error as Error, event, MIB, where);
          } else {
            assert.equal(onCallChecked(sink, event, where), "invalid", where);
          }
          assert.equal(errors.length, before + 1, where);
          assertTooLong(errors[before], event, MIB, where);
        }
      }
      assert.equal(onCallChecked(sink, next, "next"), "accepted");
      await sink.close();
      assert.equal(output(), serializeCallEvent(next) + "\n");
      assert.equal(sink.stats().written, 1);
      assert.equal(sink.stats().invalid, fields.length * 4);
    });

    test("the default limit: a line of exactly 1 MiB is written, one byte more is invalid", async () => {
      const { sink, errors, output } = openSink();
      const empty = utf8Bytes(
        serializeCallEvent(bigEvent("outcome.message", "")),
      );
      const written: string[] = [];
      for (const tail of ["é", "€", "😀", "\ud800", "a"]) {
        const tailBytes = utf8Bytes(JSON.stringify(tail)) - 2;
        const fill = "x".repeat(MIB - empty - tailBytes);
        const exact = bigEvent("outcome.message", fill + tail);
        const above = bigEvent("outcome.message", "x" + fill + tail);
        assert.equal(utf8Bytes(serializeCallEvent(exact)), MIB);
        assert.equal(onCallChecked(sink, exact, `exact ${tail}`), "accepted");
        written.push(serializeCallEvent(exact));
        assert.equal(onCallChecked(sink, above, `above ${tail}`), "invalid");
        assertTooLong(errors.at(-1), above, MIB, `above ${tail}`);
      }
      // Fewer code units than 1 MiB, more bytes: 400,000 × "€" is 1.2 MB.
      const wide = bigEvent("outcome.message", "€".repeat(400_000));
      assert.equal(onCallChecked(sink, wide, "wide"), "invalid");
      assertTooLong(errors.at(-1), wide, MIB, "wide");
      await sink.close();
      const lines = linesOf(output(), "output");
      assert.equal(lines.length, written.length);
      lines.forEach((line, i) => {
        assert.equal(line, written[i]);
        assert.equal(utf8Bytes(line), MIB);
      });
    });

    test("maxLineBytes is exact in UTF-8 bytes, with multi-byte characters at the boundary", async () => {
      const tails = [
        "a",
        "é", // 2 bytes
        "€", // 3 bytes
        "😀", // 4 bytes, a surrogate pair
        "\ud800", // a lone high surrogate: 6 bytes as \ud800
        "\udfff", // a lone low surrogate: 6 bytes as \udfff
        "\n", // 2 bytes as \n
        "\u0001", // 6 bytes as \u0001
        "\u2028", // 3 bytes, written raw
        '"', // 2 bytes as \"
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...fields),
          fc.string({ unit: "binary", maxLength: 6 }),
          fc.constantFrom(...tails),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: -12, max: 12 }),
          async (field, prefix, tail, repeat, delta) => {
            const event = bigEvent(field, "p" + prefix + tail.repeat(repeat));
            const line = serializeCallEvent(event);
            const bytes = utf8Bytes(line);
            const where = `${field} ${JSON.stringify(tail)} x${repeat}`;
            for (const limit of [bytes, bytes - 1, bytes + delta]) {
              const { sink, errors, output } = openSink({
                maxLineBytes: limit,
              });
              const at = `${where}, line ${bytes} bytes, limit ${limit}`;
              const counter = onCallChecked(sink, event, at);
              await sink.close();
              if (bytes <= limit) {
                assert.equal(counter, "accepted", at);
                assert.equal(errors.length, 0, at);
                assert.equal(output(), line + "\n", at);
              } else {
                assert.equal(counter, "invalid", at);
                assert.equal(errors.length, 1, at);
                assertTooLong(errors[0], event, limit, at);
                assert.equal(output(), "", at);
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe("what a getter or proxy throws", () => {
    for (const [name, make] of throwables()) {
      test(`a getter that throws ${name}: onCall counts it invalid, send rejects`, async () => {
        const event = sampleEvent();
        Object.defineProperty(event, "tool_id", {
          enumerable: true,
          get() {
            throw make();
          },
        });
        const { sink, errors, output } = openSink();
        assert.equal(onCallChecked(sink, event, "onCall"), "invalid");
        const sent = await sendChecked(sink, event, "send");
        assert.equal(sent.counter, "invalid");
        assert.equal(sent.resolved, false);
        assert.equal(errors.length, 2);
        for (const error of [...errors, sent.error]) {
          assert.ok(error instanceof Error);
          assert.equal(typeof error.message, "string");
          assert.match(error.message, /^calltrail: /);
        }
        await sink.close();
        assert.equal(output(), "");
      });
    }

    test("a getter or proxy trap that throws any value never makes onCall throw", async () => {
      await fc.assert(
        fc.asyncProperty(
          callEventArb,
          fc.constantFrom(...SPEC_KEYS),
          hostileValueArb,
          fc.boolean(),
          async (valid, key, thrown, asProxy) => {
            const event = structuredClone(valid) as unknown as Record<
              string,
              unknown
            >;
            const hostile = asProxy
              ? new Proxy(event, {
                get(t, k, r) {
                  if (k === key) throw thrown;
                  return Reflect.get(t, k, r);
                },
              })
              : Object.defineProperty(event, key, {
                get() {
                  throw thrown;
                },
              });
            const { sink, errors } = openSink();
            assert.equal(onCallChecked(sink, hostile, "throwing"), "invalid");
            assert.equal(errors.length, 1);
            assert.match(errors[0].message, /^calltrail: /);
            await sink.close();
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe("a getter that calls back into the sink", () => {
    test("closing the sink from a getter: the event is not lost in the queue", async () => {
      const { sink, output } = openSink();
      let closing: Promise<void> | undefined;
      const event = sampleEvent();
      Object.defineProperty(event, "tool_id", {
        enumerable: true,
        get() {
          closing ??= sink.close();
          return "ref:echo.say";
        },
      });
      const counter = onCallChecked(sink, event, "onCall");
      await closing;
      await sink.close();
      const s = sink.stats();
      assert.equal(s.queued, 0, `after close: ${JSON.stringify(s)}`);
      assert.equal(s.accepted, s.written + s.failed);
      const lines = linesOf(output(), "output");
      assert.equal(lines.length, s.written);
      assert.equal(lines.length, counter === "accepted" ? 1 : 0);
    });

    test("onCall from a getter keeps the queue within capacity", async () => {
      const capacity = 1;
      const { sink } = openSink({ capacity });
      const most = { queued: 0 };
      /** An event whose tool_id getter hands `depth` more events to the sink. */
      const nested = (depth: number): CallEvent => {
        const event = sampleEvent({ call_id: `depth-${depth}` });
        Object.defineProperty(event, "tool_id", {
          enumerable: true,
          get() {
            if (depth > 0) sink.onCall(nested(depth - 1));
            most.queued = Math.max(most.queued, sink.stats().queued);
            return "ref:echo.say";
          },
        });
        return event;
      };
      sink.onCall(nested(3));
      const s = sink.stats();
      most.queued = Math.max(most.queued, s.queued);
      assert.equal(s.accepted + s.dropped + s.invalid, 4, JSON.stringify(s));
      await sink.close();
      assert.ok(
        most.queued <= capacity,
        `at most ${capacity} event held, counting the batch being written; held ${most.queued}`,
      );
    });
  });
});

describe("JsonLinesAuditSink with collaborators that throw", () => {
  /** A sink of capacity 1 whose queue is already full. */
  function fullSink(options: JsonLinesAuditSinkOptions) {
    const sink = new JsonLinesAuditSink(
      new WritableStream<Uint8Array>({ write: () => new Promise(() => {}) }),
      { capacity: 1, closeTimeout: 10, ...options },
    );
    sink.onCall(sampleEvent());
    return sink;
  }

  test("a fallback that throws any value from onCall: the event counts as lost, onCall never throws", async () => {
    for (const [name, make] of throwables()) {
      const errors: Error[] = [];
      const sink = fullSink({
        fallback: {
          onCall() {
            throw make();
          },
          drops: () => 0,
        },
        onError: (error) => void errors.push(error),
      });
      assert.equal(onCallChecked(sink, sampleEvent(), name), "dropped");
      assert.equal(sink.stats().diverted, 0, name);
      assert.equal(sink.drops(), 1, `${name}: lost, not diverted`);
      assert.equal(errors.length, 1, name);
      assert.match(errors[0].message, /^calltrail: the fallback sink threw/);
      await sink.close();
    }
  });

  test("a fallback whose drops() throws any value: drops() counts the rest and reports it", async () => {
    for (const [name, make] of throwables()) {
      const errors: Error[] = [];
      const sink = fullSink({
        fallback: {
          onCall() {},
          drops() {
            throw make();
          },
        },
        onError: (error) => void errors.push(error),
      });
      sink.onCall(sampleEvent());
      assert.equal(sink.drops(), 0, name);
      assert.equal(errors.length, 1, name);
      assert.match(errors[0].message, /fallback sink threw from drops\(\)/);
      await sink.close();
    }
  });

  test("an onError that throws any value never escapes", async () => {
    for (const [name, make] of throwables()) {
      const sink = new JsonLinesAuditSink(new WritableStream(), {
        onError() {
          throw make();
        },
      });
      assert.equal(onCallChecked(sink, null, name), "invalid");
      await sink.close();
    }
  });

  /**
   * Deno's own WritableStream cannot take these: its streams code calls
   * isPrototypeOf on the reason, which throws for them, in a promise of its
   * own that nothing can catch (ext:deno_web/06_streams.js,
   * rethrowAssertionErrorRejection).
   */
  const DENO_STREAMS_CANNOT_TAKE = new Set([
    "a revoked proxy",
    "a proxy whose every trap throws",
  ]);

  test("a destination that throws any value from write or close: counted, reported, close() settles", async () => {
    for (const [name, make] of throwables()) {
      for (const where of ["write", "close"] as const) {
        const destinations: [string, () => WritableStream<Uint8Array>][] = [
          ["a calltrail destination", () =>
            lineStream({
              write: where === "write"
                ? () => {
                  throw make();
                }
                : () => {},
              close: where === "close"
                ? () => {
                  throw make();
                }
                : () => {},
              release: () => {},
              abort: () => {},
            })],
        ];
        if (runtime !== "deno" || !DENO_STREAMS_CANNOT_TAKE.has(name)) {
          destinations.push([
            "a WritableStream",
            () =>
              new WritableStream<Uint8Array>({
                [where]() {
                  throw make();
                },
              }),
          ]);
        }
        for (const [kind, make] of destinations) {
          const errors: Error[] = [];
          const sink = new JsonLinesAuditSink(make(), {
            onError: (error) => void errors.push(error),
          });
          const at = `${kind} that throws ${name} from ${where}`;
          assert.equal(onCallChecked(sink, sampleEvent(), at), "accepted");
          await sink.close();
          const s = sink.stats();
          assert.equal(s.failed, where === "write" ? 1 : 0, at);
          assert.equal(s.queued, 0, at);
          assert.equal(errors.length, 1, at);
          assert.equal(typeof errors[0].message, "string", at);
          assert.match(errors[0].message, /^calltrail: /, at);
        }
      }
    }
  });
});
