// The ULIDs behind call_id: decoded digit by digit with a reference
// decoder, their time is the clock's and, within one millisecond, each
// random part is the one before plus one (so ids sort in creation order).

import assert from "node:assert/strict";
import { test } from "node:test";
import { ulid } from "../_ulid.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The value of base32 `digits`, most significant first. */
function decode(digits: string): bigint {
  let value = 0n;
  for (const digit of digits) {
    const index = ALPHABET.indexOf(digit);
    assert.ok(index >= 0, `not Crockford base32: ${digit}`);
    value = value * 32n + BigInt(index);
  }
  return value;
}

test("ulid: the clock's time, then a random part that counts up within a millisecond", () => {
  const before = Date.now();
  const ids = Array.from({ length: 5000 }, () => ulid());
  const after = Date.now();
  let sameMs = 0;
  for (let i = 0; i < ids.length; i++) {
    assert.match(ids[i], /^[0-9A-HJKMNP-TV-Z]{26}$/);
    const time = Number(decode(ids[i].slice(0, 10)));
    assert.ok(
      time >= before && time <= after,
      `${time} in [${before}, ${after}]`,
    );
    if (i === 0) continue;
    assert.ok(ids[i - 1] < ids[i], "sorted in creation order");
    if (ids[i - 1].slice(0, 10) === ids[i].slice(0, 10)) {
      sameMs++;
      assert.equal(
        decode(ids[i].slice(10)),
        decode(ids[i - 1].slice(10)) + 1n,
        `${ids[i - 1]} then ${ids[i]}`,
      );
    }
  }
  assert.ok(sameMs > 100, "many ids share a millisecond");
});
