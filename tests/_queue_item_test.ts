// What a queue holds for an event over a destination that defers lines: a
// checked copy whose line, written later, is the event's line at the call;
// the bound on its length that lets onCall skip serializing it; and the
// batch that writes the lines when its text is first read.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkedLine } from "../_checked_line.ts";
import { checkedItem, ItemBatch, itemChars, itemLine } from "../_queue_item.ts";
import { serializeCallEvent } from "../mod.ts";
import {
  callEventArb,
  hostileTextEventArb,
  hostileValueArb,
} from "./_arbitraries.ts";

const encoder = new TextEncoder();

/**
 * Long text made of what escaping grows most: control characters and lone
 * surrogates (6 bytes each once escaped), and 2- and 3-byte characters.
 */
const growingTextArb = fc.oneof(
  fc.array(fc.constantFrom("\u0001", "\u001f", "\ud800", "\udfff"), {
    minLength: 1000,
    maxLength: 3000,
  }),
  fc.array(
    fc.constantFrom("\u0001", "\ud800", "\u00e9", "\u20ac", "a"),
    { minLength: 200, maxLength: 1500 },
  ),
).map((chars) => chars.join(""));

/** A valid event one of whose strings is long and grows when escaped. */
const growingEventArb = fc.tuple(
  callEventArb,
  growingTextArb,
  fc.constantFrom("tool_id", "caller_id", "call_id", "tier", "capability"),
).map(([event, text, field]) => {
  const e = { ...event, capability_provenance: undefined };
  if (field === "capability") e.granted_capabilities = [text];
  else (e as Record<string, unknown>)[field] = text;
  return e;
});

const anyEventArb = fc.oneof(
  callEventArb,
  hostileTextEventArb,
  growingEventArb,
);

describe("checkedItem", () => {
  test("a copy sharing nothing with the event, whose line is the event's line", () => {
    fc.assert(
      fc.property(anyEventArb, (event) => {
        const line = serializeCallEvent(event);
        const item = checkedItem(event, Infinity);
        assert.ok(!(item instanceof Error));
        assert.equal(itemLine(item), line);
        if (typeof item === "string") {
          // Only an event with a provenance is serialized at once.
          assert.notEqual(event.capability_provenance, undefined);
          return;
        }
        assert.notEqual(item, event);
        assert.notEqual(item.granted_capabilities, event.granted_capabilities);
        if (event.outcome.kind !== "success") {
          assert.notEqual(item.outcome, event.outcome);
        }
        // What the caller does to the event afterwards changes nothing.
        event.granted_capabilities.push("added after the call");
        (event as { tool_id: string }).tool_id = "changed after the call";
        assert.equal(itemLine(item), line);
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });

  test("itemChars bounds the line: six bytes per character counted, at least", () => {
    fc.assert(
      fc.property(anyEventArb, (event) => {
        const item = checkedItem(event, Infinity);
        assert.ok(!(item instanceof Error));
        const bytes = encoder.encode(itemLine(item)).length;
        assert.ok(
          itemChars(item) * 6 >= bytes,
          `${itemChars(item)} * 6 < ${bytes}`,
        );
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });

  test("takes and refuses what checkedLine does near the limit: a line past maxLineBytes is never queued as a copy", () => {
    fc.assert(
      fc.property(
        growingEventArb,
        fc.integer({ min: -40, max: 40 }),
        (event, delta) => {
          const bytes = encoder.encode(serializeCallEvent(event)).length;
          const maxLineBytes = Math.max(1, bytes + delta);
          const line = checkedLine(event, maxLineBytes);
          const item = checkedItem(event, maxLineBytes);
          assert.equal(item instanceof Error, line instanceof Error);
          if (!(item instanceof Error)) assert.equal(itemLine(item), line);
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
  });

  test("takes and refuses what checkedLine does, with the same errors, for any maxLineBytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyEventArb, hostileValueArb),
        fc.integer({ min: 1, max: 4000 }),
        (input, maxLineBytes) => {
          const line = checkedLine(input as never, maxLineBytes);
          const item = checkedItem(input as never, maxLineBytes);
          if (line instanceof Error) {
            assert.ok(item instanceof Error);
            assert.equal(item.message, line.message);
          } else {
            assert.ok(!(item instanceof Error), String(item));
            assert.equal(itemLine(item), line);
          }
        },
      ),
      { numRuns: 500, endOnFailure: true },
    );
  });
});

describe("ItemBatch", () => {
  test("writes its lines when its text is first read, then keeps it", () => {
    fc.assert(
      fc.property(
        fc.array(anyEventArb, { minLength: 1, maxLength: 20 }),
        (events) => {
          const items = events.map((e) => checkedItem(e, Infinity));
          const batch = new ItemBatch(
            items.map((item) => {
              assert.ok(!(item instanceof Error));
              return item;
            }),
          );
          assert.equal(batch.count, events.length);
          const text = events.map((e) => serializeCallEvent(e) + "\n").join("");
          assert.equal(batch.text, text);
          assert.equal(batch.text, text);
          assert.equal(batch.times, undefined);
        },
      ),
      { numRuns: 100, endOnFailure: true },
    );
  });
});
