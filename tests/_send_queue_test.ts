// The queue of waiting sends alone: admitted in order while there is room,
// aborted ones skipped and counted, all rejected at once when the sink stops.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SendQueue } from "../_send_queue.ts";
import type { QueueItem } from "../_queue_item.ts";

/** A send queue, the lines it admitted, and how many sends aborted. */
function sends() {
  const counts = { aborted: 0 };
  const taken: QueueItem[] = [];
  const queue = new SendQueue(() => void counts.aborted++);
  return {
    queue,
    taken,
    counts,
    take: (item: QueueItem) => void taken.push(item),
  };
}

describe("SendQueue", () => {
  test("admits waiting lines in order while there is room", async () => {
    const { queue, taken, take } = sends();
    const waits = ["a", "b", "c"].map((line) => queue.wait(line, undefined));
    assert.equal(queue.waiting, 3);
    let room = 2;
    queue.admit(() => room-- > 0, take);
    assert.deepEqual(taken, ["a", "b"]);
    assert.equal(queue.waiting, 1);
    await Promise.all(waits.slice(0, 2));
    queue.admit(() => true, take);
    await waits[2];
    assert.deepEqual(taken, ["a", "b", "c"]);
    assert.equal(queue.waiting, 0);
  });

  test("an aborted send rejects with the signal's reason, counts, and is skipped", async () => {
    const { queue, taken, counts, take } = sends();
    const controller = new AbortController();
    const first = queue.wait("a", controller.signal);
    const second = queue.wait("b", undefined);
    const reason = new Error("gave up");
    controller.abort(reason);
    await assert.rejects(first, (error) => error === reason);
    assert.equal(counts.aborted, 1);
    assert.equal(queue.waiting, 1);
    queue.admit(() => true, take);
    await second;
    assert.deepEqual(taken, ["b"]);
  });

  test("an admitted send no longer listens to its signal", async () => {
    const { queue, counts, take } = sends();
    const controller = new AbortController();
    const sent = queue.wait("a", controller.signal);
    queue.admit(() => true, take);
    await sent;
    controller.abort();
    assert.equal(counts.aborted, 0);
  });

  test("rejectAll rejects every waiting send and says how many", async () => {
    const { queue, take, taken } = sends();
    const controller = new AbortController();
    const waits = [
      queue.wait("a", controller.signal),
      queue.wait("b", undefined),
    ];
    const error = new Error("closed");
    assert.equal(queue.rejectAll(error), 2);
    for (const wait of waits) await assert.rejects(wait, error);
    assert.equal(queue.waiting, 0);
    controller.abort();
    queue.admit(() => true, take);
    assert.deepEqual(taken, []);
  });

  test("a look-alike signal whose addEventListener throws: the send rejects and counts", async () => {
    const { queue, counts } = sends();
    const thrown = new Error("no listeners here");
    const signal = {
      addEventListener() {
        throw thrown;
      },
    } as unknown as AbortSignal;
    await assert.rejects(queue.wait("a", signal), thrown);
    assert.equal(counts.aborted, 1);
    assert.equal(queue.waiting, 0);
  });

  test("keeps the order across thousands of waiting sends, some aborted", async () => {
    const { queue, taken, take } = sends();
    const expected: string[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 5000; i++) {
      const controller = new AbortController();
      const wait = queue.wait(`${i}`, controller.signal);
      if (i % 7 === 0) {
        controller.abort();
        waits.push(wait.catch(() => {}));
      } else {
        expected.push(`${i}`);
        waits.push(wait);
      }
    }
    while (queue.waiting > 0) {
      let room = 3;
      queue.admit(() => room-- > 0, take);
    }
    await Promise.all(waits);
    assert.deepEqual(taken, expected);
  });
});
