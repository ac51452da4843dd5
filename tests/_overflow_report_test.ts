// The overflow report alone, with a fake clock: one report per burst, at
// most one a second, each with the true number dropped since the last.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OverflowReport } from "../_overflow_report.ts";

/** A report over a clock the test moves, and the messages it made. */
function overflow() {
  const clock = { now: 10_000 };
  const messages: string[] = [];
  const report = new OverflowReport(
    8,
    (error) => void messages.push(error.message),
    () => clock.now,
  );
  return { report, clock, messages };
}

/** Lets the microtasks of the current job run. */
const endOfJob = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("OverflowReport", () => {
  test("reports a burst once, at its end, with its size", async () => {
    const { report, messages } = overflow();
    for (let i = 0; i < 3000; i++) report.drop();
    assert.deepEqual(messages, [], "not inside the burst");
    await endOfJob();
    assert.equal(messages.length, 1);
    assert.match(
      messages[0],
      /^calltrail: the queue is full \(capacity 8\), so events are dropped: 3000 since the last report, 3000 in all/,
    );
  });

  test("reports at most once a second, and the next report counts what the quiet time dropped", async () => {
    const { report, clock, messages } = overflow();
    report.drop();
    await endOfJob();
    clock.now += 500;
    report.rearm();
    for (let i = 0; i < 5; i++) report.drop();
    await endOfJob();
    assert.equal(messages.length, 1, "within the second");
    clock.now += 600;
    report.rearm();
    report.drop();
    await endOfJob();
    assert.equal(messages.length, 2);
    assert.match(messages[1], /: 6 since the last report, 7 in all/);
  });

  test("while no batch settles, looks again every 1,024 drops", async () => {
    const { report, clock, messages } = overflow();
    report.drop();
    await endOfJob();
    clock.now += 2000;
    for (let i = 0; i < 1022; i++) report.drop();
    await endOfJob();
    assert.equal(messages.length, 1, "1,023 drops in all: not yet");
    report.drop();
    await endOfJob();
    assert.equal(messages.length, 2, "the 1,024th drop looks at the clock");
    assert.match(messages[1], /: 1023 since the last report, 1024 in all/);
  });

  test("reads the clock once per burst, not once per drop", async () => {
    let reads = 0;
    const report = new OverflowReport(8, () => {}, () => {
      reads++;
      return 0;
    });
    for (let i = 0; i < 1000; i++) report.drop();
    await endOfJob();
    assert.equal(reads, 1);
  });
});
