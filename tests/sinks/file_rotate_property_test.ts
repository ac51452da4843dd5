// Rotation loses, repeats and tears nothing: a property test of random
// interleavings of onCall, send, flush, ticks and a clock that jumps over
// hour boundaries, with random maxBytes and capacity; and a process killed
// (SIGKILL) while it rotates.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { fileAuditSink } from "../../mod.ts";
import { runUntilReady, tick, withTempDir } from "../_helpers.ts";
import { makeEvent } from "./children/events.ts";
import { allFiles, callIds, rotatedFiles, texts } from "./_rotated.ts";

const CHILD = join(import.meta.dirname!, "children", "rotate_child.ts");

type Op =
  | { op: "onCall"; n: number }
  | { op: "send"; n: number }
  | { op: "flush" }
  | { op: "tick" }
  | { op: "hour" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("onCall" as const),
      n: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("send" as const),
      n: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 2, arbitrary: fc.constant({ op: "tick" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "hour" as const }) },
);

test("under concurrent onCall, send and flush, every accepted event is written exactly once across the files, in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 200, max: 4000 }),
      fc.boolean(),
      fc.array(opArb, { minLength: 1, maxLength: 30 }),
      async (capacity, maxBytes, chain, ops) => {
        await withTempDir(async (dir) => {
          const path = join(dir.path, "audit.jsonl");
          let now = Date.UTC(2026, 11, 2, 0, 30);
          const sink = await fileAuditSink(path, {
            capacity,
            chain,
            rotate: { maxBytes, interval: "hourly", now: () => now },
            onError: () => {},
          });
          let next = 0;
          // Each event's fate: accepted, or not, in call order.
          const fates: Promise<boolean>[] = [];
          const pending: Promise<unknown>[] = [];
          for (const step of ops) {
            switch (step.op) {
              case "onCall":
                for (let k = 0; k < step.n; k++) {
                  const before = sink.stats().dropped;
                  sink.onCall(makeEvent(next++));
                  fates.push(Promise.resolve(sink.stats().dropped === before));
                }
                break;
              case "send":
                for (let k = 0; k < step.n; k++) {
                  fates.push(
                    sink.send(makeEvent(next++)).then(() => true, () => false),
                  );
                }
                break;
              case "flush":
                pending.push(sink.flush());
                break;
              case "tick":
                await tick(0);
                break;
              case "hour":
                now += 3_600_000;
                break;
            }
          }
          await sink.close();
          await Promise.all(pending);
          const accepted = await Promise.all(fates);
          const expected: string[] = [];
          accepted.forEach((ok, i) => {
            if (ok) expected.push(makeEvent(i).call_id);
          });
          const stats = sink.stats();
          assert.equal(stats.accepted, expected.length);
          assert.equal(stats.written, expected.length);
          assert.equal(sink.rotations().failed, 0);
          const contents = await texts(await allFiles(path));
          for (const text of contents) {
            assert.ok(text === "" || text.endsWith("\n"), "whole lines");
          }
          assert.deepEqual(contents.flatMap(callIds), expected);
        });
      },
    ),
    { numRuns: 40 },
  );
});

test("killed (SIGKILL) while it rotates: the files hold events 0, 1, 2... in order, whole lines, then at most one torn line", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir.path, "audit.jsonl");
    const { child, result: running } = await runUntilReady(CHILD, [
      "kill",
      path,
    ]);
    // Many rotations, some of 100 KiB batches: the kill may come during one.
    while (
      child!.exitCode === null && (await rotatedFiles(path)).length < 12
    ) await tick();
    child!.kill("SIGKILL");
    const result = await running;
    assert.equal(result.signal, "SIGKILL", result.stderr);
    const files = await allFiles(path);
    const contents = await texts(files);
    // Every file but the last ends with a whole line.
    contents.slice(0, -1).forEach((text, i) =>
      assert.ok(text.endsWith("\n"), `${files[i]} ends with a whole line`)
    );
    const all = contents.join("");
    const end = all.lastIndexOf("\n") + 1;
    const ids = callIds(all.slice(0, end));
    assert.ok(ids.length > 1000, `${ids.length} events`);
    ids.forEach((id, i) =>
      assert.equal(id, makeEvent(i).call_id, `line ${i + 1}`)
    );
    // What follows the last newline, if anything, is one torn line.
    assert.ok(!all.slice(end).includes("\n"));
  });
});
