// The pure part of rotation (sinks/_rotation.ts): the options' defaults,
// UTC periods, the rotated names and their order, and which files of a
// directory are rotated files of a path.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  periodStart,
  rotatedFiles,
  rotatedPath,
  rotateSettings,
  stamp,
} from "../../sinks/_rotation.ts";

const HOUR = 3_600_000;

describe("rotateSettings", () => {
  test("fills in what is left out", () => {
    const settings = rotateSettings({ maxBytes: 10 });
    assert.equal(settings.maxBytes, 10);
    assert.equal(settings.period, Infinity);
    assert.equal(settings.maxFiles, Infinity);
    assert.equal(settings.now, Date.now);
    assert.equal(rotateSettings({ interval: "hourly" }).period, HOUR);
    assert.equal(rotateSettings({ interval: "daily" }).period, 24 * HOUR);
    assert.equal(rotateSettings({ interval: "daily" }).maxBytes, Infinity);
  });

  test("refuses a key of Object.prototype as an interval", () => {
    assert.throws(
      () => rotateSettings({ interval: "toString" as "daily" }),
      /rotate\.interval option must be "hourly" or "daily"/,
    );
  });
});

describe("periods and names", () => {
  test("UTC periods start on the hour and at midnight", () => {
    const t = Date.UTC(2026, 11, 2, 13, 45, 12, 345);
    assert.equal(periodStart(t, HOUR), Date.UTC(2026, 11, 2, 13));
    assert.equal(periodStart(t, 24 * HOUR), Date.UTC(2026, 11, 2));
    assert.equal(periodStart(t, Infinity), -Infinity);
  });

  test("a stamp is the UTC time to the millisecond, and stamps sort by time", () => {
    assert.equal(
      stamp(Date.UTC(2026, 11, 2, 1, 0, 0, 123)),
      "20261202T010000.123Z",
    );
    const times = [0, 1, 999, 1000, 59_999, HOUR, 10 * 24 * HOUR].map((ms) =>
      Date.UTC(2026, 0, 1) + ms
    );
    const stamps = times.map(stamp);
    assert.deepEqual([...stamps].sort(), stamps);
  });

  test("a taken name, or one not after the last, gets the next suffix; suffixes sort", () => {
    const at = Date.UTC(2026, 11, 2, 1, 0, 0, 123);
    const taken = new Set(["a.jsonl.20261202T010000.123Z"]);
    const first = rotatedPath("a.jsonl", at, (n) => taken.has(String(n)));
    assert.equal(first, "a.jsonl.20261202T010000.123Z-000001");
    const names = [first as string];
    for (let i = 0; i < 12; i++) {
      names.push(
        rotatedPath("a.jsonl", at, () => false, names.at(-1)) as string,
      );
    }
    assert.equal(names.at(-1), "a.jsonl.20261202T010000.123Z-000013");
    assert.deepEqual([...names].sort(), names);
    assert.ok(
      (rotatedPath("a.jsonl", at + 1, () => false, names.at(-1)) as string) >
        names.at(-1)!,
    );
    const url = rotatedPath(
      new URL("file:///var/log/a.jsonl"),
      at,
      () => false,
    );
    assert.equal(String(url), "file:///var/log/a.jsonl.20261202T010000.123Z");
  });

  test("rotatedFiles: only <name>.<stamp>, oldest first, in the path's directory", () => {
    const listing = [
      "a.jsonl",
      "a.jsonl.chain",
      "a.jsonl.20261202T010000.123Z-000001",
      "a.jsonl.20261202T010000.123Z.chain",
      "a.jsonl.20261202T010000.123Z",
      "a.jsonl.20251202T010000.123Z",
      "b.a.jsonl.20201202T010000.123Z",
      "a.jsonl.1",
      "a.jsonl.20261202T010000Z",
    ];
    let listed: unknown;
    const files = rotatedFiles("/var/log/a.jsonl", (dir) => {
      listed = dir;
      return listing;
    });
    assert.equal(listed, "/var/log/");
    assert.deepEqual(files, [
      "/var/log/a.jsonl.20251202T010000.123Z",
      "/var/log/a.jsonl.20261202T010000.123Z",
      "/var/log/a.jsonl.20261202T010000.123Z-000001",
    ]);
    assert.deepEqual(
      rotatedFiles("a.jsonl", (dir) => {
        listed = dir;
        return listing;
      }).length,
      3,
    );
    assert.equal(listed, ".");
    const urls = rotatedFiles(new URL("file:///var/log/a%20b.jsonl"), (dir) => {
      listed = dir;
      return ["a b.jsonl.20261202T010000.123Z"];
    });
    assert.equal(String(listed), "file:///var/log/");
    assert.deepEqual(urls.map(String), [
      "file:///var/log/a%20b.jsonl.20261202T010000.123Z",
    ]);
  });
});
