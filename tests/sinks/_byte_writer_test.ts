// The byte writer of the OTLP bodies alone: what it writes decodes to the
// text written, through every growth of its buffer, for any text without a
// lone surrogate (ASCII, two-, three- and four-byte characters); and its
// JSON strings are JSON.stringify's, control characters included.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteWriter } from "../../sinks/_byte_writer.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Text without lone surrogates: whole code points of any plane. */
const wellFormed = fc.string({ unit: "grapheme", maxLength: 80 });
/** A piece of a body: bytes, one byte, text or a JSON string. */
const piece = fc.oneof(
  fc.record({ bytes: wellFormed }),
  fc.record({ byte: fc.integer({ min: 0x20, max: 0x7e }) }),
  fc.record({ text: wellFormed }),
  fc.record({ json: wellFormed }),
);

describe("ByteWriter", () => {
  test("writes every piece in order, whatever the buffer's first size", () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.integer({ min: 0, max: 100 }),
        (pieces, size) => {
          const out = new ByteWriter(size);
          let expected = "";
          for (const p of pieces) {
            if ("bytes" in p) {
              out.bytes(encoder.encode(p.bytes));
              expected += p.bytes;
            } else if ("byte" in p) {
              out.byte(p.byte);
              expected += String.fromCharCode(p.byte);
            } else if ("text" in p) {
              out.text(p.text);
              expected += p.text;
            } else {
              out.jsonString(p.json);
              expected += JSON.stringify(p.json);
            }
          }
          assert.equal(decoder.decode(out.result()), expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a JSON string is JSON.stringify's: quotes, backslashes, control characters, non-ASCII", () => {
    for (
      const text of [
        "",
        '{"a":"b\\\\c"}',
        "tab\there, newline\nthere, nul\u0000",
        "é, 中, 😀, \u2028",
        "x".repeat(5000) + '"',
      ]
    ) {
      const out = new ByteWriter(1);
      out.jsonString(text);
      assert.equal(decoder.decode(out.result()), JSON.stringify(text));
    }
  });

  test("short ASCII text and long text both grow the buffer when needed", () => {
    const out = new ByteWriter(0);
    out.text("abc");
    out.text("é".repeat(100));
    out.text("z".repeat(31));
    assert.equal(
      decoder.decode(out.result()),
      "abc" + "é".repeat(100) + "z".repeat(31),
    );
  });
});
