// The chain's HMAC-SHA256, made from two saved SHA-256 states, against
// node:crypto's createHmac: the same MAC for any key (shorter than SHA-256's
// 64-byte block, exactly one block, and longer, which is hashed first) and
// any message, given as bytes or as text; and its saved states are copied,
// not used up, so that one key signs any number of messages.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { hmacSha256 } from "../../sinks/_hmac_sha256.ts";

const key = fc.uint8Array({ minLength: 0, maxLength: 200 });
const message = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
);

describe("hmacSha256", () => {
  test("gives createHmac's MAC for any key and message", () => {
    fc.assert(
      fc.property(key, message, (key, message) => {
        assert.equal(
          hmacSha256(createHash, key)(message),
          createHmac("sha256", key).update(message).digest("hex"),
        );
      }),
      { numRuns: 500 },
    );
  });

  test("keys of 63, 64 and 65 bytes (one block, and either side of it)", () => {
    for (const length of [63, 64, 65]) {
      const bytes = Uint8Array.from({ length }, (_, i) => i + 1);
      assert.equal(
        hmacSha256(createHash, bytes)("checkpoint"),
        createHmac("sha256", bytes).update("checkpoint").digest("hex"),
        `a key of ${length} bytes`,
      );
    }
  });

  test("one key signs many messages, each on its own", () => {
    const bytes = new Uint8Array(32).fill(7);
    const sign = hmacSha256(createHash, bytes);
    const messages = ["a", "b", "a", "", "checkpoint ".repeat(20)];
    assert.deepEqual(
      messages.map(sign),
      messages.map((m) => createHmac("sha256", bytes).update(m).digest("hex")),
    );
  });

  test("keeps no reference to the caller's key", () => {
    const bytes = new Uint8Array(32).fill(7);
    const sign = hmacSha256(createHash, bytes);
    const before = sign("checkpoint");
    bytes.fill(0);
    assert.equal(sign("checkpoint"), before);
  });
});
