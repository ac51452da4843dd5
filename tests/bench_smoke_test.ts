// The end-to-end benchmark harness (bench/e2e.ts) works on the runtime under
// test: each writer, in a child process, with a small N. Behaviour only (the
// JSON line, the counts, the bytes); no timing is asserted.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { E2eResult } from "../bench/e2e.ts";
import { runChild, runtime, tempDir } from "./_helpers.ts";

const E2E = fileURLToPath(new URL("../bench/e2e.ts", import.meta.url));
const N = 2_000;

/** Runs one writer in a child process; its parsed JSON line. */
async function runWriter(writer: string): Promise<E2eResult> {
  const dir = await tempDir();
  try {
    const child = await runChild(E2E, [
      writer,
      join(dir.path, `${writer}.jsonl`),
      String(N),
    ]);
    const output = `stdout:\n${child.stdout}\nstderr:\n${child.stderr}`;
    assert.equal(child.code, 0, output);
    const lines = child.stdout.trim().split("\n");
    assert.equal(lines.length, 1, `one line on stdout\n${output}`);
    const result = JSON.parse(lines[0]) as E2eResult;
    assert.equal(result.writer, writer);
    assert.equal(result.runtime, runtime);
    assert.equal(typeof result.version, "string");
    assert.equal(result.events, N);
    assert.ok(result.bytes > 0, `bytes > 0\n${output}`);
    assert.ok(result.seconds > 0 && Number.isFinite(result.seconds));
    assert.ok(result.eventsPerSecond > 0);
    assert.ok(Number.isSafeInteger(result.drops) && result.drops >= 0);
    assert.ok(Number.isFinite(result.rssGrowth));
    return result;
  } finally {
    await dir[Symbol.asyncDispose]();
  }
}

describe("bench/e2e.ts", () => {
  for (const writer of ["pino", "logtape"]) {
    test(`${writer}: ${N} events, none lost`, async () => {
      assert.equal((await runWriter(writer)).drops, 0);
    });
  }

  test("the ladder from the floor to calltrail: none lost, the floor's bytes", async () => {
    const floor = await runWriter("floor");
    assert.equal(floor.drops, 0);
    const ladder = [
      "floor-await",
      "floor-serialize",
      "calltrail",
      "calltrail-chain",
      "calltrail-chain-key",
      // Below 1 MiB: it does not rotate, so its one file has every byte.
      "calltrail-rotate",
    ];
    for (const writer of ladder) {
      const result = await runWriter(writer);
      assert.equal(result.drops, 0, writer);
      assert.equal(result.bytes, floor.bytes, writer);
    }
  });

  test(`calltrail-oncall: ${N} events, drops counted`, async () => {
    const result = await runWriter("calltrail-oncall");
    assert.ok(result.drops <= N);
  });

  test("an unknown writer exits with code 2", async () => {
    const dir = await tempDir();
    try {
      const child = await runChild(E2E, ["nobody", join(dir.path, "x"), "1"]);
      assert.equal(child.code, 2, child.stderr);
      assert.match(child.stderr, /unknown writer nobody/);
    } finally {
      await dir[Symbol.asyncDispose]();
    }
  });
});
