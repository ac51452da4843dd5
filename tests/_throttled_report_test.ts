// The throttled report alone, with a fake clock: the first report at once,
// then at most one a second, summing what was held.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ThrottledReport } from "../_throttled_report.ts";

function throttled() {
  const clock = { now: 5_000 };
  const reports: string[] = [];
  const report = new ThrottledReport(
    (error) => void reports.push(error.message),
    (count, weight, last) =>
      new Error(`${count} held, weight ${weight}, last ${last.message}`),
    () => clock.now,
  );
  return { report, clock, reports };
}

describe("ThrottledReport", () => {
  test("tells the first at once and holds the rest of the second", () => {
    const { report, reports } = throttled();
    report.add(new Error("a"), 3);
    report.add(new Error("b"), 4);
    report.add(new Error("c"), 5);
    assert.deepEqual(reports, ["a"]);
    report.flush();
    assert.deepEqual(reports, ["a", "2 held, weight 9, last c"]);
    report.flush();
    assert.equal(reports.length, 2, "nothing more held");
  });

  test("one held report is told as it is", () => {
    const { report, reports } = throttled();
    report.add(new Error("a"));
    report.add(new Error("b"));
    report.flush();
    assert.deepEqual(reports, ["a", "b"]);
  });

  test("a report after the second is up tells what was held with it", () => {
    const { report, clock, reports } = throttled();
    report.add(new Error("a"));
    report.add(new Error("b"));
    clock.now += 1500; // no timer fired (say, none run here)
    report.add(new Error("c"));
    assert.deepEqual(reports, ["a", "2 held, weight 2, last c"]);
  });

  test("its timer tells what was held once the second is up", async () => {
    const reports: string[] = [];
    const report = new ThrottledReport(
      (error) => void reports.push(error.message),
      (count) => new Error(`${count} held`),
    );
    report.add(new Error("first"));
    report.add(new Error("second"));
    report.add(new Error("third"));
    assert.deepEqual(reports, ["first"]);
    while (reports.length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(reports, ["first", "2 held"]);
  });
});
