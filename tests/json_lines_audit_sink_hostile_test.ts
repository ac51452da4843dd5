// Hostile inputs for JsonLinesAuditSink (SPEC §1, §2 and §4): whatever
// onCall or send is given, it never throws; each input is either written as
// one canonical line (the event as it was at the call) or counted invalid.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import fc from "fast-check";
import {
  type AuditSinkStats,
  type CallEvent,
  JsonLinesAuditSink,
  type JsonLinesAuditSinkOptions,
  parseCallEvent,
  serializeCallEvent,
} from "../mod.ts";
import {
  callEventArb,
  hostileTextEventArb,
  hostileValueArb,
  mutatedEventArb,
  REQUIRED_KEYS,
  SPEC_KEYS,
} from "./_arbitraries.ts";
import { runtime, sampleEvent, tempDir } from "./_helpers.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** A sink over a stream that keeps every chunk, and the errors it reports. */
function openSink(options: JsonLinesAuditSinkOptions = {}) {
  const chunks: Uint8Array[] = [];
  const errors: Error[] = [];
  const sink = new JsonLinesAuditSink(
    new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) }),
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

/** A printable name for anything, even what String() cannot print. */
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

function show(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
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

/** serializeCallEvent's line for `input`, or undefined if it rejects it. */
function lineOf(input: unknown): string | undefined {
  try {
    return serializeCallEvent(input as CallEvent);
  } catch {
    return undefined;
  }
}

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
function assertCanonical(line: string, where: string): void {
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

/** Splits the output into lines, asserting each ends with "\n". */
function linesOf(output: string, where: string): string[] {
  if (output === "") return [];
  assert.ok(output.endsWith("\n"), `${where}: output ends with a newline`);
  return output.slice(0, -1).split("\n");
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

    test("onCall and send write the line of the event at the call, or count it invalid", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ input: inputArb, viaSend: fc.boolean() }), {
            minLength: 1,
            maxLength: 8,
          }),
          async (calls) => {
            const { sink, errors, output } = openSink();
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
            assert.equal(errors.length, invalid, "one error per invalid event");
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

    test("extra keys, __proto__, constructor and toJSON never reach the line", async () => {
      const plain = sampleEvent({
        cursor_page: 2,
        outcome: { kind: "execution_failed", code: "E", retryable: true },
        capability_provenance: [{
          cap: "fs.read",
          source: {
            kind: "ucan_chain",
            issuer_did: "did:key:z",
            chain_depth: 2,
          },
        }],
      });
      const clean = serializeCallEvent(plain);
      const hostile = structuredClone(plain) as unknown as Record<
        string,
        unknown
      >;
      const inject = () => ({ injected: true, ts: "forged" });
      const define = (target: object, key: string, value: unknown) =>
        Object.defineProperty(target, key, {
          value,
          enumerable: true,
          configurable: true,
          writable: true,
        });
      const outcome = hostile.outcome as Record<string, unknown>;
      const entry =
        (hostile.capability_provenance as Record<string, unknown>[])[
          0
        ];
      for (const target of [hostile, outcome, entry, entry.source as object]) {
        define(target, "__proto__", { injected: true });
        define(target, "constructor", { injected: true });
        define(target, "toJSON", inject);
        define(target, "TS", "forged");
        define(target, "Kind", "forged");
        define(target, "KIND", "forged");
      }
      define(hostile.granted_capabilities as object, "toJSON", inject);
      define(hostile.capability_provenance as object, "toJSON", inject);
      hostile.Tool_Id = "forged";
      hostile.toolId = "forged";
      hostile.callerId = "forged";
      hostile.args = { password: "hunter2" };
      // An outcome whose class carries toJSON: not an own key, still ignored.
      class Outcome {
        kind = "execution_failed";
        code = "E";
        retryable = true;
        toJSON() {
          return { kind: "success", injected: true };
        }
      }
      const withClass = { ...plain, outcome: new Outcome() };

      const { sink, output } = openSink();
      assert.equal(onCallChecked(sink, hostile, "own extra keys"), "accepted");
      assert.equal(onCallChecked(sink, withClass, "toJSON class"), "accepted");
      const sent = await sendChecked(sink, hostile, "send");
      assert.equal(sent.counter, "accepted");
      await sink.close();
      const lines = linesOf(output(), "output");
      assert.deepEqual(lines, [clean, clean, clean]);
      for (const line of lines) {
        assertCanonical(line, "line");
        assert.doesNotMatch(line, /injected|forged|hunter2/);
      }
    });
  });

  describe("strings that try to break the line", () => {
    /** Every string of the event, to find its lone surrogates. */
    const stringsOf = (value: unknown): string[] =>
      typeof value === "string"
        ? [value]
        : typeof value === "object" && value !== null
        ? Object.values(value).flatMap(stringsOf)
        : [];
    const escapeOf = (unit: string): string =>
      "\\u" + unit.charCodeAt(0).toString(16).padStart(4, "0");

    /** One line per event, no forged line, lone surrogates escaped. */
    function assertHostileTextLines(text: string, events: CallEvent[]): void {
      assert.equal(
        text,
        events.map((e) => serializeCallEvent(e) + "\n").join(""),
      );
      const lines = linesOf(text, "output");
      assert.equal(lines.length, events.length, "one line per event");
      lines.forEach((line, i) => {
        const where = `line ${i}`;
        // deno-lint-ignore no-control-regex -- raw control characters are the bug
        assert.doesNotMatch(line, /[\u0000-\u001f]/, where);
        assert.doesNotMatch(line, /\p{Cs}/u, `${where}: a raw lone surrogate`);
        for (const s of stringsOf(events[i])) {
          for (const lone of s.match(/\p{Cs}/gu) ?? []) {
            assert.ok(line.includes(escapeOf(lone)), `${where}: ${lone}`);
          }
        }
        // structuredClone: fc.record makes objects without a prototype.
        assert.deepEqual(
          parseCallEvent(line),
          structuredClone(events[i]),
          where,
        );
        assertCanonical(line, where);
      });
    }

    test("in every string field: one line per event, no forged object, valid UTF-8", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostileTextEventArb, { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          async (events, viaSend) => {
            const { sink, output } = openSink();
            for (const [i, event] of events.entries()) {
              const counter = viaSend
                ? (await sendChecked(sink, event, `send ${i}`)).counter
                : onCallChecked(sink, event, `onCall ${i}`);
              assert.equal(counter, "accepted");
            }
            await sink.close();
            assertHostileTextLines(output(), events);
          },
        ),
        { numRuns: 200 },
      );
    });

    test("a forged second line in each string field stays inside its string", async () => {
      const forge =
        'x"}\n{"ts":"2026-05-29T10:00:00.123Z","call_id":"forged","tool_id":"t","granted_capabilities":[],"duration_ms":0,"outcome":{"kind":"success"},"tier":"hot","dry_run":false,"schema_version":3,"secrets_resolved":false}\n{"x":"\\"\r\u2028\u2029\u0000\u007f\udfff\ud800';
      const sources = (e: CallEvent) =>
        e.capability_provenance![0] as {
          cap: string;
          source: { issuer_did: string };
        };
      const setters: [string, (e: CallEvent) => void][] = [
        ["call_id", (e) => e.call_id = forge],
        ["tool_id", (e) => e.tool_id = forge],
        ["caller_id", (e) => e.caller_id = forge],
        ["granted_capabilities", (e) => e.granted_capabilities = [forge, "a"]],
        ["tier", (e) => e.tier = forge],
        [
          "outcome.message",
          (e) => e.outcome = { kind: "invalid_args", message: forge },
        ],
        [
          "outcome.code",
          (e) =>
            e.outcome = {
              kind: "execution_failed",
              code: forge,
              retryable: false,
            },
        ],
        [
          "outcome.missing",
          (e) => e.outcome = { kind: "capability_denied", missing: [forge] },
        ],
        ["capability_provenance[0].cap", (e) => sources(e).cap = forge],
        [
          "capability_provenance[0].source.issuer_did",
          (e) => sources(e).source.issuer_did = forge,
        ],
      ];
      const events = setters.map(([, set]) => {
        const e = fullEvent();
        set(e);
        return e;
      });
      const { sink, output } = openSink();
      for (const [i, e] of events.entries()) {
        assert.equal(onCallChecked(sink, e, setters[i][0]), "accepted");
      }
      await sink.close();
      const text = output();
      assertHostileTextLines(text, events);
      for (const line of linesOf(text, "output")) {
        assert.ok(line.startsWith('{"ts":"2026-05-29T10:00:00.123Z"'));
        assert.match(line, /\\udfff\\ud800/);
      }
    });
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

  describe("proxies and getters", () => {
    /** Wraps objects and arrays, deeply, in proxies whose traps pass through. */
    function passThrough<T>(value: T, explicit: boolean): T {
      if (typeof value !== "object" || value === null) return value;
      const handler: ProxyHandler<object> = explicit
        ? {
          get: (t, k, r) => passThrough(Reflect.get(t, k, r), explicit),
          has: (t, k) => Reflect.has(t, k),
          ownKeys: (t) => Reflect.ownKeys(t),
          getOwnPropertyDescriptor: (t, k) =>
            Reflect.getOwnPropertyDescriptor(t, k),
          getPrototypeOf: (t) => Reflect.getPrototypeOf(t),
          defineProperty: (t, k, d) => Reflect.defineProperty(t, k, d),
          set: (t, k, v, r) => Reflect.set(t, k, v, r),
          deleteProperty: (t, k) => Reflect.deleteProperty(t, k),
          isExtensible: (t) => Reflect.isExtensible(t),
          preventExtensions: (t) => Reflect.preventExtensions(t),
          setPrototypeOf: (t, p) => Reflect.setPrototypeOf(t, p),
        }
        : {
          get: (t, k) => passThrough(Reflect.get(t, k), explicit),
        };
      return new Proxy(value as object, handler) as T;
    }

    test("a pass-through proxy is written as the same line as its target", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(callEventArb, { minLength: 1, maxLength: 5 }),
          async (events) => {
            const { sink, output } = openSink();
            const expected: string[] = [];
            for (const [i, event] of events.entries()) {
              const line = serializeCallEvent(event);
              for (
                const proxy of [
                  new Proxy(event, {}),
                  passThrough(event, true),
                  passThrough(event, false),
                ]
              ) {
                assert.equal(onCallChecked(sink, proxy, `${i}`), "accepted");
                expected.push(line);
              }
            }
            await sink.close();
            assert.equal(output(), expected.map((l) => l + "\n").join(""));
          },
        ),
        { numRuns: 100 },
      );
    });

    /**
     * A proxy over `target` whose string keys give, read after read, the
     * target's value and `alternative`'s (in an order set by `altFirst`),
     * counting reads per key and recording in `seen` what the first read of
     * each key gave (nested changing objects as their own `seen`).
     */
    function changing(
      target: Record<string | number, unknown>,
      alternative: unknown,
      altFirst: boolean,
      reads: Map<string, number>,
      path: string,
    ): { proxy: object; seen: Record<string, unknown> } {
      const seen =
        (Array.isArray(target) ? new Array(target.length) : {}) as Record<
          string,
          unknown
        >;
      const nested = new Map<string, { proxy: object; seen: unknown }>();
      const proxy = new Proxy(target, {
        get(t, key, receiver) {
          if (typeof key !== "string") return Reflect.get(t, key, receiver);
          const id = `${path}.${key}`;
          const n = reads.get(id) ?? 0;
          reads.set(id, n + 1);
          let value: unknown = (n % 2 === 0) === altFirst
            ? alternative
            : Reflect.get(t, key);
          if (key === "length" && Array.isArray(t)) value = t.length;
          if (
            value === Reflect.get(t, key) && typeof value === "object" &&
            value !== null
          ) {
            let inner = nested.get(key);
            if (inner === undefined) {
              inner = changing(
                value as Record<string, unknown>,
                alternative,
                !altFirst,
                reads,
                id,
              );
              nested.set(key, inner);
            }
            if (n === 0) seen[key] = inner.seen;
            return inner.proxy;
          }
          if (n === 0) seen[key] = value;
          return value;
        },
      });
      return { proxy, seen };
    }

    test("values that change on every read give a self-consistent line or an invalid event", async () => {
      await fc.assert(
        fc.asyncProperty(
          callEventArb,
          hostileValueArb,
          fc.boolean(),
          async (event, alternative, altFirst) => {
            const reads = new Map<string, number>();
            const { proxy, seen } = changing(
              structuredClone(event) as unknown as Record<string, unknown>,
              alternative,
              altFirst,
              reads,
              "event",
            );
            const { sink, output } = openSink();
            const counter = onCallChecked(sink, proxy, "changing");
            for (const [key, n] of reads) {
              assert.ok(n <= 1, `${key} was read ${n} times`);
            }
            await sink.close();
            // What the sink read is what it wrote (or what made it invalid).
            const line = lineOf(seen);
            if (counter === "accepted") {
              assert.notEqual(line, undefined);
              assert.equal(output(), line + "\n");
              assertCanonical(line!, "changing");
            } else {
              assert.equal(counter, "invalid");
              assert.equal(line, undefined, `the values read were valid`);
              assert.equal(output(), "");
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    const fullEvent = (): CallEvent =>
      sampleEvent({
        cursor_page: 4,
        outcome: { kind: "invalid_args", message: "bad path" },
        capability_provenance: [{
          cap: "fs.read",
          source: {
            kind: "ucan_chain",
            issuer_did: "did:key:z",
            chain_depth: 3,
          },
        }],
      });
    /** Where a getter can sit: an object of the event, and a key in it. */
    const getterSites: [string, (e: CallEvent) => object, string][] = [
      ...SPEC_KEYS.map((key): [string, (e: CallEvent) => object, string] => [
        key,
        (e) => e,
        key,
      ]),
      ["granted_capabilities[0]", (e) => e.granted_capabilities, "0"],
      ["outcome.kind", (e) => e.outcome, "kind"],
      ["outcome.message", (e) => e.outcome, "message"],
      ["capability_provenance[0]", (e) => e.capability_provenance!, "0"],
      [
        "capability_provenance[0].source.chain_depth",
        (e) => e.capability_provenance![0].source,
        "chain_depth",
      ],
    ];

    for (const [name, holder, key] of getterSites) {
      test(`a getter on ${name} that throws on its second read: written once, then invalid`, async () => {
        const event = fullEvent();
        const line = serializeCallEvent(event);
        const target = holder(event) as Record<string, unknown>;
        const value = target[key];
        let reads = 0;
        Object.defineProperty(target, key, {
          enumerable: true,
          get() {
            if (++reads > 1) throw new Error(`second read of ${name}`);
            return value;
          },
        });
        const { sink, errors, output } = openSink();
        assert.equal(onCallChecked(sink, event, "first"), "accepted");
        assert.equal(reads, 1);
        assert.equal(onCallChecked(sink, event, "second"), "invalid");
        const sent = await sendChecked(sink, event, "third, by send");
        assert.equal(sent.counter, "invalid");
        assert.equal(sent.resolved, false);
        assert.equal(errors.length, 2);
        for (const error of errors) {
          assert.match(error.message, /^calltrail: /);
          assert.ok(error.message.includes(`second read of ${name}`));
        }
        await sink.close();
        assert.equal(output(), line + "\n");
      });
    }

    test("fields inherited from the prototype are read like own fields", async () => {
      // serializeCallEvent reads each field with a plain property read, so a
      // field on the prototype chain is written as if it were own.
      const event = fullEvent();
      const line = serializeCallEvent(event);
      const inherited = Object.create(event);
      const half = Object.create(
        Object.create({ ts: event.ts, tool_id: event.tool_id }),
      );
      Object.assign(half, { ...event, ts: undefined, tool_id: undefined });
      delete half.ts;
      delete half.tool_id;
      class Getters {
        get ts() {
          return event.ts;
        }
        get call_id() {
          return event.call_id;
        }
      }
      const { ts: _ts, call_id: _callId, ...rest } = event;
      const fromClass = Object.assign(new Getters(), rest);
      const nullProto = Object.assign(Object.create(null), event);
      const shadowed = Object.create({ ...event, tool_id: "not this" });
      shadowed.tool_id = event.tool_id;
      const outcomeInherited = {
        ...event,
        outcome: Object.create(event.outcome),
      };

      const { sink, output } = openSink();
      const cases: [string, unknown][] = [
        ["all inherited", inherited],
        ["two levels up", half],
        ["class getters", fromClass],
        ["null prototype", nullProto],
        ["own shadows inherited", shadowed],
        ["inherited outcome fields", outcomeInherited],
      ];
      for (const [name, value] of cases) {
        assert.equal(lineOf(value), line, name);
        assert.equal(onCallChecked(sink, value, name), "accepted");
      }
      await sink.close();
      assert.equal(output(), `${line}\n`.repeat(cases.length));
    });

    test("a prototype that lends keys outside the spec adds nothing to the line", async () => {
      const event = fullEvent();
      const line = serializeCallEvent(event);
      const proto = { args: "secret", toJSON: () => ({ injected: true }) };
      const child = Object.assign(Object.create(proto), event);
      const { sink, output } = openSink();
      assert.equal(onCallChecked(sink, child, "child"), "accepted");
      await sink.close();
      assert.equal(output(), line + "\n");
    });
  });

  describe("what a getter or proxy throws", () => {
    /** Values a getter can throw, some of them hostile to the error path. */
    function throwables(): [string, () => unknown][] {
      const withMessage = (error: Error, descriptor: PropertyDescriptor) =>
        Object.defineProperty(error, "message", descriptor);
      return [
        ["undefined", () => undefined],
        ["null", () => null],
        ["a number", () => 42],
        ["a string", () => "boom"],
        ["a symbol", () => Symbol("boom")],
        ["a BigInt", () => 7n],
        ["a function", () => () => {}],
        ["a plain object", () => ({ message: "boom" })],
        [
          "an object whose toString throws",
          () => ({
            toString() {
              throw new Error("toString");
            },
          }),
        ],
        ["a calltrail-looking TypeError", () => new TypeError("calltrail: x")],
        [
          "a revoked proxy",
          () => {
            const { proxy, revoke } = Proxy.revocable({}, {});
            revoke();
            return proxy;
          },
        ],
        [
          "a proxy whose every trap throws",
          () =>
            new Proxy({}, {
              getPrototypeOf() {
                throw new Error("getPrototypeOf trap");
              },
              get() {
                throw new Error("get trap");
              },
            }),
        ],
        [
          "a TypeError whose message is a number",
          () => withMessage(new TypeError("x"), { value: 5 }),
        ],
        [
          "a TypeError whose message getter throws",
          () =>
            withMessage(new TypeError("x"), {
              get() {
                throw new Error("message getter");
              },
            }),
        ],
        [
          "an Error whose message is a symbol",
          () => withMessage(new Error("x"), { value: Symbol("m") }),
        ],
        [
          "an Error whose message getter throws",
          () =>
            withMessage(new Error("x"), {
              get() {
                throw new Error("message getter");
              },
            }),
        ],
      ];
    }

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

  test("an empty ts is invalid also as the first event a process writes", async () => {
    // serializeCallEvent remembers the last ts it checked; a fresh process
    // must not take "" for one it already checked.
    const dir = await tempDir();
    try {
      await firstEventInAProcess(dir.path);
    } finally {
      await dir[Symbol.asyncDispose]();
    }
  });
});

/** Runs a child whose first event has an empty ts; asserts it is invalid. */
async function firstEventInAProcess(path: string): Promise<void> {
  const script = join(path, "first_event.mjs");
  await writeFile(
    script,
    `import { JsonLinesAuditSink } from ${
      JSON.stringify(new URL("../mod.ts", import.meta.url).href)
    };
const chunks = [];
const sink = new JsonLinesAuditSink(
  new WritableStream({ write: (c) => void chunks.push(c) }),
  { onError: () => {} },
);
sink.onCall(${JSON.stringify({ ...sampleEvent(), ts: "" })});
await sink.close();
const text = chunks.map((c) => new TextDecoder().decode(c)).join("");
console.log(JSON.stringify({ stats: sink.stats(), text }));
`,
  );
  const config = new URL("../deno.json", import.meta.url).pathname;
  const args = runtime === "deno"
    ? ["run", "--allow-all", "--config", config, script]
    : [script];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => stdout += c);
  child.stderr.setEncoding("utf8").on("data", (c: string) => stderr += c);
  const code = await new Promise((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  const { stats, text } = JSON.parse(stdout);
  assert.equal(text, "", `a line was written: ${text}`);
  assert.equal(stats.invalid, 1, JSON.stringify(stats));
}
