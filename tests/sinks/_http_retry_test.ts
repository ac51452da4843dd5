// The HTTP sinks' waits alone: backoff with full jitter, and Retry-After.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelay, retryAfterDelay } from "../../sinks/_http_retry.ts";

describe("backoffDelay", () => {
  test("is full jitter: from 0 up to initialDelay × 2^(attempt-1), capped", () => {
    assert.equal(backoffDelay(1, 100, 10_000, () => 0), 0);
    assert.equal(backoffDelay(1, 100, 10_000, () => 0.999999), 99);
    assert.equal(backoffDelay(4, 100, 10_000, () => 0.5), 400);
    assert.equal(backoffDelay(30, 100, 10_000, () => 0.5), 5000, "capped");
  });

  test("stays within its bounds for any attempt", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initial, extra, r) => {
          const max = initial + extra;
          const delay = backoffDelay(attempt, initial, max, () => r);
          assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= max);
        },
      ),
    );
  });
});

describe("retryAfterDelay", () => {
  const now = Date.parse("2026-12-02T10:00:00Z");
  test("reads seconds and HTTP dates", () => {
    assert.equal(retryAfterDelay("120", now), 120_000);
    assert.equal(retryAfterDelay(" 0 ", now), 0);
    assert.equal(retryAfterDelay("Wed, 02 Dec 2026 10:00:30 GMT", now), 30_000);
    assert.equal(
      retryAfterDelay("Wed, 02 Dec 2026 09:00:00 GMT", now),
      0,
      "past",
    );
  });

  test("is undefined without a header, or for one of neither form", () => {
    assert.equal(retryAfterDelay(null, now), undefined);
    assert.equal(retryAfterDelay("soon", now), undefined);
    assert.equal(retryAfterDelay("-5", now), undefined);
    assert.equal(retryAfterDelay("1.5", now), undefined);
  });
});
