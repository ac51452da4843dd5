// fast-check arbitraries shared by the property tests.

import fc from "fast-check";
import type { CallEvent } from "../mod.ts";

/** Any string, including lone surrogates, quotes and control characters. */
export const text: fc.Arbitrary<string> = fc.string({
  unit: "binary",
  maxLength: 40,
});
const outcome = fc.oneof(
  fc.constant({ kind: "success" as const }),
  fc.record({ kind: fc.constant("invalid_args" as const), message: text }),
  fc.record({
    kind: fc.constant("execution_failed" as const),
    code: text,
    retryable: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("capability_denied" as const),
    missing: fc.array(text, { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("rate_limited" as const),
    retry_after_ms: fc.option(fc.nat(), { nil: null }),
  }),
  fc.constant({ kind: "tool_not_found" as const }),
);
/** The keys of SPEC §1, in wire order. */
export const SPEC_KEYS: readonly string[] = [
  "ts",
  "call_id",
  "tool_id",
  "caller_id",
  "granted_capabilities",
  "duration_ms",
  "outcome",
  "tier",
  "dry_run",
  "schema_version",
  "secrets_resolved",
  "cursor_page",
  "capability_provenance",
];

const OPTIONAL_KEYS = ["caller_id", "cursor_page", "capability_provenance"];
/** The keys every event has (SPEC §1 without its optional ones). */
export const REQUIRED_KEYS: (keyof CallEvent)[] = SPEC_KEYS.filter((key) =>
  !OPTIONAL_KEYS.includes(key)
) as (keyof CallEvent)[];

/** Any valid event, optional keys present or not. */
export const callEventArb: fc.Arbitrary<CallEvent> = fc.record(
  {
    ts: fc.date({
      min: new Date("1970-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    }).map((d) => d.toISOString()),
    call_id: fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
    tool_id: text,
    caller_id: text,
    granted_capabilities: fc.array(text, { maxLength: 4 }),
    duration_ms: fc.maxSafeNat(),
    outcome,
    tier: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
    dry_run: fc.boolean(),
    schema_version: fc.constantFrom(1, 2, 3),
    secrets_resolved: fc.boolean(),
    cursor_page: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    capability_provenance: fc.array(
      fc.record({
        cap: text,
        source: fc.oneof(
          fc.constant({ kind: "string_allow_list" as const }),
          fc.record({
            kind: fc.constant("ucan_chain" as const),
            issuer_did: text,
            chain_depth: fc.integer({ min: 0, max: 255 }),
          }),
        ),
      }),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: REQUIRED_KEYS },
) as fc.Arbitrary<CallEvent>;

// Hostile inputs, for the tests of what JsonLinesAuditSink must survive.

/**
 * Values of every JavaScript kind that are not plain JSON data: fresh ones on
 * each call, so that no test can change another's.
 */
function specialValue(i: number): unknown {
  const sparse: unknown[] = new Array(3);
  sparse[2] = "b";
  const nullProto = Object.create(null) as Record<string, unknown>;
  nullProto.kind = "success";
  const specials: (() => unknown)[] = [
    () => undefined,
    () => null,
    () => "",
    () => NaN,
    () => -0,
    () => Infinity,
    () => -Infinity,
    () => 1.5,
    () => -1,
    () => 2 ** 53,
    () => 2n,
    () => 3,
    () => "3",
    () => true,
    () => [],
    () => ({}),
    () => ["a"],
    () => [1],
    () => sparse,
    () => nullProto,
    () => new String("ref:echo.say"),
    () => new Number(3),
    () => new Boolean(false),
    () => Object(2n),
    () => Symbol("hostile"),
    () => () => "a function",
    () => new Date(0),
    () => new Map([["kind", "success"]]),
    () => new Set(["a"]),
    () => new Uint8Array([104, 105]),
    () => ({ toJSON: () => ({ injected: true }) }),
    () => "2026-05-29T10:00:00.123Z",
    () => ({ kind: "success" }),
    () => ({ kind: "invalid_args", message: "m" }),
    () => [{ cap: "c", source: { kind: "string_allow_list" } }],
  ];
  return specials[i % specials.length]();
}

/**
 * Any value: fc.anything with BigInt, boxed values, Map and Set, typed arrays,
 * null prototypes, sparse arrays, object strings and Date, and the special
 * values above (symbols, functions, toJSON, valid-looking values).
 */
export const hostileValueArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.anything({
      maxDepth: 2,
      maxKeys: 4,
      withBigInt: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: true,
      withSparseArray: true,
      withObjectString: true,
      withDate: true,
      stringUnit: "binary",
    }),
  },
  { weight: 2, arbitrary: fc.nat(1000).map(specialValue) },
);

/** Where a value can be replaced or deleted in an event. */
type Path = readonly (string | number)[];

const fieldPaths: Path[] = [
  ...SPEC_KEYS.map((key) => [key]),
  ["granted_capabilities", 0],
  ["outcome", "kind"],
  ["outcome", "message"],
  ["outcome", "code"],
  ["outcome", "retryable"],
  ["outcome", "missing"],
  ["outcome", "missing", 0],
  ["outcome", "retry_after_ms"],
  ["capability_provenance", 0],
  ["capability_provenance", 0, "cap"],
  ["capability_provenance", 0, "source"],
  ["capability_provenance", 0, "source", "kind"],
  ["capability_provenance", 0, "source", "issuer_did"],
  ["capability_provenance", 0, "source", "chain_depth"],
];

/** Where extra keys can go: the event, its outcome, a provenance entry. */
const containerPaths: Path[] = [
  [],
  ["outcome"],
  ["capability_provenance", 0],
  ["capability_provenance", 0, "source"],
];

/** Keys outside the spec, some of them close to spec keys. */
const extraKeys = [
  "__proto__",
  "constructor",
  "toJSON",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "then",
  "TS",
  "Ts",
  "CALL_ID",
  "Tool_Id",
  "toolId",
  "caller_ID",
  "Outcome",
  "KIND",
  "Kind",
  "Message",
  "ts ",
  " ts",
  "tool_id\u0000",
  "dry-run",
  "schemaVersion",
  "args",
  "result",
  "password",
];

/** A change that makes a valid event hostile. */
export type Mutation =
  | { op: "replace"; path: Path; value: unknown }
  | { op: "delete"; path: Path }
  | {
    op: "extra";
    path: Path;
    key: string;
    value: unknown;
    /** Own data property (defineProperty), or plain assignment. */
    define: boolean;
  };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("replace" as const),
      path: fc.constantFrom(...fieldPaths),
      value: hostileValueArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      path: fc.constantFrom(...fieldPaths),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("extra" as const),
      path: fc.constantFrom(...containerPaths),
      key: fc.constantFrom(...extraKeys),
      value: fc.oneof(
        hostileValueArb,
        fc.constant(() => ({ injected: true, ts: "forged" })),
      ),
      define: fc.boolean(),
    }),
  },
);

function applyMutation(event: Record<string, unknown>, m: Mutation): void {
  // An earlier mutation may have put on the way a proxy whose traps throw,
  // or here a typed array or an object whose prototype (set through
  // `__proto__`) has setters or traps that refuse the change or throw (a
  // BigInt into a typed array, a getter that converts): the mutation is
  // then simply not made.
  try {
    let parent: unknown = event;
    for (
      const key of m.path.slice(0, m.op === "extra" ? m.path.length : -1)
    ) {
      if (typeof parent !== "object" || parent === null) return;
      parent = (parent as Record<string | number, unknown>)[key];
    }
    if (typeof parent !== "object" || parent === null) return;
    const target = parent as Record<string | number, unknown>;
    if (m.op === "extra") {
      if (m.define) {
        Reflect.defineProperty(target, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        Reflect.set(target, m.key, m.value);
      }
      return;
    }
    const last = m.path[m.path.length - 1];
    if (m.op === "delete") Reflect.deleteProperty(target, last);
    else Reflect.set(target, last, m.value);
  } catch {
    // Not made.
  }
}

/**
 * A valid event (a fresh copy, optional keys and a provenance entry most
 * often present) with 1 to 3 mutations: a field, top-level or nested, replaced
 * by any value or deleted, or extra keys added.
 */
export const mutatedEventArb: fc.Arbitrary<
  { event: Record<string, unknown>; mutations: Mutation[] }
> = fc.tuple(
  callEventArb,
  fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
)
  .map(([valid, mutations]) => {
    const event = structuredClone(valid) as unknown as Record<string, unknown>;
    event.capability_provenance ??= [{
      cap: "c",
      source: { kind: "ucan_chain", issuer_did: "did:key:z", chain_depth: 1 },
    }];
    for (const m of mutations) applyMutation(event, m);
    return { event, mutations };
  });

/**
 * Strings built to break a JSON line: lone surrogates (high and low), every
 * control character, U+007F, U+2028 and U+2029, quotes, backslashes,
 * newlines and fragments that would forge a second line if left unescaped.
 */
export const hostileTextArb: fc.Arbitrary<string> = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '"',
      "\\",
      "\n",
      "\r",
      "\r\n",
      "\u007f",
      "\u2028",
      "\u2029",
      "\ufeff",
      "é",
      "€",
      "😀",
      "\ud83d",
      "\ude00",
      "\udc00\ud800",
      '\\"',
      "\\n",
      "\\u0022",
      '"}',
      '"}\n{"ts":"2026-05-29T10:00:00.123Z","call_id":"forged","tool_id":"t","granted_capabilities":[],"duration_ms":0,"outcome":{"kind":"success"},"tier":"hot","dry_run":false,"schema_version":3,"secrets_resolved":false}\n',
      'x"}\n{"ts":"forged",',
      '","forged":true,"x":"',
    ),
    fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

/**
 * A valid event whose every string field (but `ts`) is a hostile string, with
 * every optional key present and an outcome that carries strings.
 */
export const hostileTextEventArb: fc.Arbitrary<CallEvent> = fc.record({
  ts: fc.constant("2026-05-29T10:00:00.123Z"),
  call_id: hostileTextArb.filter((s) => s !== ""),
  tool_id: hostileTextArb,
  caller_id: hostileTextArb,
  granted_capabilities: fc.array(hostileTextArb, { maxLength: 3 }),
  duration_ms: fc.nat(),
  outcome: fc.oneof(
    fc.record({
      kind: fc.constant("invalid_args" as const),
      message: hostileTextArb,
    }),
    fc.record({
      kind: fc.constant("execution_failed" as const),
      code: hostileTextArb,
      retryable: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("capability_denied" as const),
      missing: fc.array(hostileTextArb, { maxLength: 3 }),
    }),
  ),
  tier: hostileTextArb.filter((s) => s !== ""),
  dry_run: fc.boolean(),
  schema_version: fc.constant(3),
  secrets_resolved: fc.boolean(),
  cursor_page: fc.integer({ min: 1, max: 100 }),
  capability_provenance: fc.array(
    fc.record({
      cap: hostileTextArb,
      source: fc.record({
        kind: fc.constant("ucan_chain" as const),
        issuer_did: hostileTextArb,
        chain_depth: fc.integer({ min: 0, max: 255 }),
      }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
}) as fc.Arbitrary<CallEvent>;
