// The stall watch of close() alone: it waits for work while there is
// progress, and gives up after the timeout without any.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { StallWatch } from "../_stall_watch.ts";

const delay = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("StallWatch", () => {
  test("is true when the work settles", async () => {
    const watch = new StallWatch(1000);
    assert.equal(await watch.watch(delay(1)), true);
    assert.equal(await watch.watch(undefined), true, "no work at all");
  });

  test("is false once there was no progress for the timeout", async () => {
    const watch = new StallWatch(10);
    assert.equal(await watch.watch(new Promise(() => {})), false);
  });

  test("progress re-arms it: slow work that keeps moving is waited for", async () => {
    const watch = new StallWatch(20);
    let steps = 0;
    const work = (async () => {
      for (; steps < 10; steps++) {
        await delay(10);
        watch.progress();
      }
    })();
    // 10 steps of 10 ms or more, each with progress: longer than the
    // timeout in all, never without progress for as long.
    assert.equal(await watch.watch(work), true);
    assert.equal(steps, 10);
  });

  test("passes a rejection of the work through", async () => {
    const watch = new StallWatch(1000);
    const failure = new Error("close failed");
    await assert.rejects(watch.watch(Promise.reject(failure)), failure);
  });
});
