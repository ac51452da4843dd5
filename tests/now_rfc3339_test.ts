import { test } from "node:test";
import assert from "node:assert/strict";
import { nowRfc3339 } from "../mod.ts";

test("nowRfc3339 is the current UTC time with milliseconds", () => {
  const before = Date.now();
  const ts = nowRfc3339();
  const after = Date.now();
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const ms = Date.parse(ts);
  assert.ok(ms >= before && ms <= after, `${ts} is between the two readings`);
});
