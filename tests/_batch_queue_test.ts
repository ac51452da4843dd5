// The batch queue alone, over a destination the test controls: room counted
// in events, batches sealed by size, one write at a time in order, group
// commit, failures of one batch or for good, the exit drain, and giving up.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BatchQueue, type BatchQueueOwner } from "../_batch_queue.ts";
import type { Batch, BatchFailure } from "../_line_destination.ts";
import { tick } from "./_helpers.ts";

/** A write the test settles. */
interface PendingWrite {
  batch: Batch;
  resolve: (failure?: BatchFailure) => void;
  reject: (error: unknown) => void;
}

/** A queue over a destination whose writes wait for the test. */
function queue(capacity: number, batchChars = 1 << 16, concurrency = 1) {
  const pending: PendingWrite[] = [];
  const written: Batch[] = [];
  const calls = { settled: 0, failed: [] as unknown[], closed: 0 };
  const reports: Error[] = [];
  const refused: [Error, number][] = [];
  const aborted: Error[] = [];
  const released = { count: 0 };
  const owner: BatchQueueOwner = {
    settled: () => void calls.settled++,
    failed: (thrown) => void calls.failed.push(thrown),
    refused: (error, failed) => void refused.push([error, failed]),
    report: (error) => void reports.push(error),
  };
  const q = new BatchQueue(
    {
      write: (batch) =>
        new Promise<void | BatchFailure>((resolve, reject) =>
          pending.push({
            batch,
            resolve: (failure) => {
              if (failure === undefined) written.push(batch);
              resolve(failure);
            },
            reject,
          })
        ),
      close: () => void calls.closed++,
      release: () => void released.count++,
      abort: (reason) => void aborted.push(reason),
      concurrency,
    },
    capacity,
    batchChars,
    owner,
  );
  return {
    q,
    pending,
    written,
    calls,
    reports,
    refused,
    aborted,
    released,
    /** Waits until a write is pending, and returns it. */
    async next(): Promise<PendingWrite> {
      while (pending.length === 0) await tick(1);
      return pending.shift()!;
    },
  };
}

const lines = (batch: Batch) => batch.text.split("\n").slice(0, -1);

describe("BatchQueue", () => {
  test("counts room in events: the batch being filled, sealed and written", async () => {
    const { q, next } = queue(4);
    assert.equal(q.room(), 4);
    q.push("a");
    q.push("b");
    q.push("c");
    assert.equal(q.room(), 1, "three in the open batch");
    q.seal();
    assert.equal(q.room(), 1, "three in the stream");
    const write = await next();
    assert.deepEqual(lines(write.batch), ["a", "b", "c"]);
    assert.equal(write.batch.count, 3);
    assert.equal(q.room(), 1, "three being written");
    write.resolve();
    await tick(1);
    assert.equal(q.room(), 4);
    assert.deepEqual(
      [q.accepted, q.written, q.failed, q.queued],
      [3, 3, 0, 0],
    );
  });

  test("seals a batch once it is full or long, and writes one batch at a time, in order", async () => {
    const { q, next, pending } = queue(100, 4);
    for (const line of ["a1", "a2", "b1", "b2", "c1"]) q.push(line);
    const first = await next();
    assert.deepEqual(lines(first.batch), ["a1", "a2"]);
    await tick(1);
    assert.equal(pending.length, 0, "the second waits for the first");
    first.resolve();
    const second = await next();
    assert.deepEqual(lines(second.batch), ["b1", "b2"]);
    second.resolve();
    const third = await next();
    assert.deepEqual(lines(third.batch), ["c1"], "sealed on the next turn");
    third.resolve();
  });

  test("never calls the destination inside push or seal", async () => {
    const { q, pending } = queue(1);
    await tick(1); // the internal stream has started
    q.push("a"); // fills the queue: sealed at once
    assert.equal(pending.length, 0);
    await tick(1);
    assert.equal(pending.length, 1);
  });

  test("while a write is under way, lines gather into one batch (group commit)", async () => {
    const { q, next } = queue(1000);
    q.push("first");
    const first = await next();
    for (let i = 0; i < 50; i++) {
      q.push(`line ${i}`);
      if (i % 10 === 0) await tick(2); // turns of the event loop pass
    }
    first.resolve();
    const second = await next();
    assert.equal(second.batch.count, 50);
  });

  test("a batch that fails in part counts its failed events, tells the owner, and the next is written", async () => {
    const { q, next, refused, calls } = queue(10);
    q.push("a");
    q.push("b");
    q.seal();
    const error = new Error("rejected by the receiver");
    (await next()).resolve({ failed: 1, error });
    q.push("c");
    (await next()).resolve();
    await tick(1);
    assert.deepEqual([q.accepted, q.written, q.failed], [3, 2, 1]);
    assert.deepEqual(refused, [[error, 1]]);
    assert.deepEqual(calls.failed, []);
  });

  test("a BatchFailure's count is kept within the batch", async () => {
    const { q, next } = queue(10);
    for (const failed of [NaN, -3, 99, 1.7]) {
      q.push("a");
      q.push("b");
      q.seal();
      (await next()).resolve({ failed, error: new Error("x") });
    }
    await tick(1);
    assert.equal(q.failed, 0 + 0 + 2 + 1);
    assert.equal(q.written, 8 - 3);
    assert.equal(q.queued, 0);
  });

  test("a write that throws fails the destination for good: later batches count as failed unwritten", async () => {
    const { q, next, calls, pending } = queue(10, 2);
    q.push("a");
    q.push("b");
    q.push("c");
    const thrown = new Error("disk full");
    (await next()).reject(thrown);
    await tick(2);
    assert.deepEqual(calls.failed, [thrown]);
    assert.equal(pending.length, 0, "nothing more reaches the destination");
    assert.deepEqual([q.accepted, q.written, q.failed, q.queued], [3, 0, 3, 0]);
  });

  test("the exit drain writes, in order, what was never handed on, once", async () => {
    const { q, next, pending } = queue(10, 4);
    q.push("a");
    const underWay = await next(); // "a" is being written
    q.push("b");
    q.push("c"); // sealed, waiting behind "a"
    q.push("d"); // still open
    const order: string[] = [];
    q.drainSync((text) => order.push(text), () => order.push("finish"));
    assert.deepEqual(order, ["finish", "b\nc\n", "d\n"]);
    underWay.resolve();
    await tick(2);
    assert.equal(pending.length, 0, "drained batches are not written again");
    assert.deepEqual([q.written, q.queued], [4, 0]);
  });

  test("the exit drain counts what it could not write, and reports a finish that threw", () => {
    const { q, calls, reports } = queue(10, 2);
    for (const line of ["a", "b", "c"]) q.push(line);
    q.drainSync(
      () => {
        throw new Error("EPIPE");
      },
      () => {
        throw "finish failed";
      },
    );
    assert.equal(calls.failed.length, 1, "failed once, then no more writes");
    assert.match(reports[0].message, /finish failed/);
    assert.deepEqual([q.accepted, q.written, q.failed], [3, 0, 3]);
  });

  test("with acceptTimes, each batch carries when each line was accepted", async () => {
    const pending: Batch[] = [];
    const q = new BatchQueue(
      {
        write: (batch) => void pending.push(batch),
        close() {},
        release() {},
        abort() {},
        acceptTimes: true,
      },
      10,
      1 << 16,
      {
        settled() {},
        failed() {},
        refused() {},
        report() {},
      },
    );
    const before = Date.now();
    q.push("a");
    q.push("b");
    const after = Date.now();
    await q.flushed();
    q.push("c");
    await q.flushed();
    assert.equal(pending.length, 2);
    const [first, second] = pending;
    assert.equal(first.times?.length, 2);
    assert.equal(second.times?.length, 1);
    for (const t of first.times!) assert.ok(t >= before && t <= after);
  });

  test("with concurrency 3: up to three writes at once, room counts them, any may end first, flush waits for all", async () => {
    const { q, pending } = queue(8, 2, 3);
    for (const line of ["a", "b", "c", "d", "e"]) q.push(line);
    while (pending.length < 3) await tick(1);
    await tick(2);
    assert.equal(pending.length, 3, "three at once, not more");
    assert.deepEqual(pending.map((w) => lines(w.batch)), [["a"], ["b"], ["c"]]);
    assert.equal(q.room(), 8 - 5, "the writes under way still take room");
    let flushed = false;
    const flushing = q.flushed().then(() => void (flushed = true));
    pending[2].resolve(); // the third ends first
    pending.splice(2, 1);
    while (pending.length < 3) await tick(1);
    assert.deepEqual(
      lines(pending[2].batch),
      ["d"],
      "its slot goes to the next",
    );
    assert.equal(q.room(), 8 - 4);
    for (const write of pending.splice(0)) write.resolve();
    while (pending.length < 1) await tick(1);
    await tick(1);
    assert.equal(flushed, false, "e is not written yet");
    pending.shift()!.resolve();
    await flushing;
    assert.deepEqual([q.accepted, q.written, q.queued, q.room()], [5, 5, 0, 8]);
  });

  test("with concurrency 2: a batch waiting for a slot stays queued, so the exit drain writes it, and giving up wakes it", async () => {
    for (const end of ["drain", "abandon"] as const) {
      const { q, pending } = queue(8, 2, 2);
      for (const line of ["a", "b", "c"]) q.push(line);
      while (pending.length < 2) await tick(1);
      await tick(2);
      assert.equal(pending.length, 2, "c waits for a slot");
      if (end === "drain") {
        const drained: string[] = [];
        q.drainSync((text) => drained.push(text));
        assert.deepEqual(drained, ["c\n"], "c is written at exit");
      } else {
        assert.equal(q.abandon(new Error("stalled"), false), 3);
        // The stream's write of c ends, so closing it does not hang.
        await q.close();
        assert.deepEqual([q.accepted, q.written, q.failed], [3, 0, 3]);
      }
      for (const write of pending.splice(0)) write.resolve();
      await tick(2);
      assert.equal(pending.length, 0, "c is not also sent");
    }
  });

  test("abandon counts what is queued as failed, resolves flushes, and aborts or releases", async () => {
    for (const release of [false, true]) {
      const { q, next, aborted, released } = queue(10);
      q.push("a");
      const flushed = q.flushed();
      const stalled = await next();
      const reason = new Error("stalled");
      assert.equal(q.abandon(reason, release), 1);
      await flushed;
      assert.deepEqual([q.failed, q.queued], [1, 0]);
      assert.deepEqual(aborted, release ? [] : [reason]);
      assert.equal(released.count, release ? 1 : 0);
      stalled.resolve(); // a late write does not count again
      await tick(1);
      assert.deepEqual([q.written, q.failed], [0, 1]);
    }
  });

  test("flushed waits for every batch sealed so far, close for all of them", async () => {
    const { q, next } = queue(10);
    q.push("a");
    let flushed = false;
    const flushing = q.flushed().then(() => void (flushed = true));
    const write = await next();
    await tick(1);
    assert.equal(flushed, false);
    write.resolve();
    await flushing;
    q.push("b");
    const closing = q.close();
    (await next()).resolve();
    await closing;
    assert.deepEqual([q.accepted, q.written], [2, 2]);
  });
});
