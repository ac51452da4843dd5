// Hostile input for serializeCallEvent (SPEC §1): whatever an event carries
// (extra keys, strings that try to break the line, proxies, getters whose
// value changes or that throw, inherited fields), the line is canonical, is
// the event as each field was read once, and never holds anything but the
// spec's keys. The sinks' own tests check that they write exactly this line.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import fc from "fast-check";
import { type CallEvent, parseCallEvent, serializeCallEvent } from "../mod.ts";
import {
  callEventArb,
  hostileTextEventArb,
  hostileValueArb,
  SPEC_KEYS,
} from "./_arbitraries.ts";
import { assertCanonical, lineOf } from "./_canonical.ts";
import { runtime, sampleEvent, tempDir } from "./_helpers.ts";

/** The spec's example with every optional key, each string field present. */
function fullEvent(): CallEvent {
  return sampleEvent({
    cursor_page: 4,
    outcome: { kind: "invalid_args", message: "bad path" },
    capability_provenance: [{
      cap: "fs.read",
      source: { kind: "ucan_chain", issuer_did: "did:key:z", chain_depth: 3 },
    }],
  });
}

describe("serializeCallEvent with hostile input", () => {
  test("extra keys, __proto__, constructor and toJSON never reach the line", () => {
    const plain = sampleEvent({
      cursor_page: 2,
      outcome: { kind: "execution_failed", code: "E", retryable: true },
      capability_provenance: [{
        cap: "fs.read",
        source: { kind: "ucan_chain", issuer_did: "did:key:z", chain_depth: 2 },
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
    const entry = (hostile.capability_provenance as Record<string, unknown>[])[
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
    for (const [name, value] of [["own keys", hostile], ["class", withClass]]) {
      const line = serializeCallEvent(value as unknown as CallEvent);
      assert.equal(line, clean, name as string);
      assertCanonical(line, name as string);
      assert.doesNotMatch(line, /injected|forged|hunter2/);
    }
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

    /** One line, no raw control character, lone surrogates escaped. */
    function assertHostileTextLine(event: CallEvent, where: string): string {
      const line = serializeCallEvent(event);
      // deno-lint-ignore no-control-regex -- raw control characters are the bug
      assert.doesNotMatch(line, /[\u0000-\u001f]/, where);
      assert.doesNotMatch(line, /\p{Cs}/u, `${where}: a raw lone surrogate`);
      for (const s of stringsOf(event)) {
        for (const lone of s.match(/\p{Cs}/gu) ?? []) {
          assert.ok(line.includes(escapeOf(lone)), `${where}: ${lone}`);
        }
      }
      // structuredClone: fc.record makes objects without a prototype.
      assert.deepEqual(parseCallEvent(line), structuredClone(event), where);
      assertCanonical(line, where);
      return line;
    }

    test("in every string field: one line, no forged object, valid UTF-8", () => {
      const strict = new TextDecoder("utf-8", { fatal: true });
      const encoder = new TextEncoder();
      fc.assert(
        fc.property(hostileTextEventArb, (event) => {
          const line = assertHostileTextLine(event, "event");
          assert.equal(strict.decode(encoder.encode(line)), line);
        }),
        { numRuns: 300 },
      );
    });

    test("a forged second line in each string field stays inside its string", () => {
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
      for (const [name, set] of setters) {
        const event = fullEvent();
        set(event);
        const line = assertHostileTextLine(event, name);
        assert.ok(line.startsWith('{"ts":"2026-05-29T10:00:00.123Z"'), name);
        assert.match(line, /\\udfff\\ud800/, name);
      }
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

    test("a pass-through proxy is written as the same line as its target", () => {
      fc.assert(
        fc.property(callEventArb, (event) => {
          const line = serializeCallEvent(event);
          for (
            const proxy of [
              new Proxy(event, {}),
              passThrough(event, true),
              passThrough(event, false),
            ]
          ) {
            assert.equal(serializeCallEvent(proxy), line);
          }
        }),
        { numRuns: 200 },
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

    test("values that change on every read give a self-consistent line or an error", () => {
      fc.assert(
        fc.property(
          callEventArb,
          hostileValueArb,
          fc.boolean(),
          (event, alternative, altFirst) => {
            const reads = new Map<string, number>();
            const { proxy, seen } = changing(
              structuredClone(event) as unknown as Record<string, unknown>,
              alternative,
              altFirst,
              reads,
              "event",
            );
            const line = lineOf(proxy);
            for (const [key, n] of reads) {
              assert.ok(n <= 1, `${key} was read ${n} times`);
            }
            // What was read is what was written (or what made it invalid).
            assert.equal(line, lineOf(seen));
            if (line !== undefined) assertCanonical(line, "changing");
          },
        ),
        { numRuns: 300 },
      );
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
      test(`a getter on ${name} that throws on its second read: read once per call, its error passes through`, () => {
        const event = fullEvent();
        const line = serializeCallEvent(event);
        const target = holder(event) as Record<string, unknown>;
        const value = target[key];
        let reads = 0;
        const thrown = new Error(`second read of ${name}`);
        Object.defineProperty(target, key, {
          enumerable: true,
          get() {
            if (++reads > 1) throw thrown;
            return value;
          },
        });
        assert.equal(serializeCallEvent(event), line);
        assert.equal(reads, 1);
        assert.throws(() => serializeCallEvent(event), (e) => e === thrown);
        assert.equal(reads, 2);
      });
    }

    test("fields inherited from the prototype are read like own fields", () => {
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
      }
    });

    test("a prototype that lends keys outside the spec adds nothing to the line", () => {
      const event = fullEvent();
      const proto = { args: "secret", toJSON: () => ({ injected: true }) };
      const child = Object.assign(Object.create(proto), event);
      assert.equal(serializeCallEvent(child), serializeCallEvent(event));
    });
  });

  test("an empty ts is invalid also as the first event a process writes", async () => {
    // serializeCallEvent remembers the last ts it checked; a fresh process
    // must not take "" for one it already checked.
    const dir = await tempDir();
    try {
      const script = join(dir.path, "first_event.mjs");
      await writeFile(
        script,
        `import { serializeCallEvent } from ${
          JSON.stringify(new URL("../mod.ts", import.meta.url).href)
        };
try {
  console.log(serializeCallEvent(${
          JSON.stringify({ ...sampleEvent(), ts: "" })
        }));
} catch (error) {
  console.log(error.message);
}
`,
      );
      const config = new URL("../deno.json", import.meta.url).pathname;
      const args = runtime === "deno"
        ? ["run", "--allow-all", "--config", config, script]
        : [script];
      const child = spawnSync(process.execPath, args, { encoding: "utf8" });
      assert.equal(child.status, 0, child.stderr);
      assert.match(child.stdout, /"ts" must be an RFC 3339 time/);
    } finally {
      await dir[Symbol.asyncDispose]();
    }
  });
});
