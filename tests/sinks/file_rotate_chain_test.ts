// The chain across rotated files: each file has its own sidecar, renamed
// with it; the first checkpoint of a new file starts at byte 0 and links to
// the last checkpoint of the file before. `calltrail verify` given the files
// in order passes; a file missing from the middle, or two swapped, fails;
// the first files missing (deleted by maxFiles) do not.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ChainCheckpoint, fileAuditSink } from "../../mod.ts";
import { withTempDir } from "../_helpers.ts";
import { cli, shown } from "../cli/_cli.ts";
import { makeEvents } from "./children/events.ts";
import {
  allFiles,
  callIds,
  failingRotations,
  isWindows,
  texts,
} from "./_rotated.ts";

const KEY = new Uint8Array(32).fill(7);

async function checkpoints(file: string): Promise<[ChainCheckpoint, string][]> {
  const text = await readFile(`${file}.chain`, "utf8");
  return text.slice(0, -1).split("\n").map((line) => [JSON.parse(line), line]);
}

/** A chained, rotating log of 40 events in 10 batches; its files in order. */
async function rotatedLog(
  dir: string,
  options: { maxFiles?: number } = {},
): Promise<{ path: string; files: string[]; keyFile: string }> {
  const path = join(dir, "audit.jsonl");
  const sink = await fileAuditSink(path, {
    chain: { key: KEY },
    rotate: { maxBytes: 1200, ...options },
  });
  const events = makeEvents(40);
  for (let i = 0; i < 40; i += 4) {
    for (const event of events.slice(i, i + 4)) sink.onCall(event);
    await sink.flush();
  }
  await sink.close();
  const keyFile = join(dir, "key");
  await writeFile(keyFile, KEY);
  return { path, files: await allFiles(path), keyFile };
}

describe("the chain across rotated files", () => {
  test("each file has its own sidecar; the first checkpoint of each file starts at 0 and links to the last of the file before", async () => {
    await withTempDir(async (dir) => {
      const { files } = await rotatedLog(dir.path);
      assert.ok(files.length >= 4, `${files.length} files`);
      const sha256 = (text: string) =>
        createHash("sha256").update(text).digest("hex");
      let previous: [ChainCheckpoint, string] | undefined;
      let seq = 0;
      for (const file of files) {
        const chain = await checkpoints(file);
        assert.equal(chain[0][0].start, 0, file);
        assert.equal(
          chain[0][0].prev,
          previous === undefined ? null : sha256(previous[1]),
          file,
        );
        for (const [checkpoint] of chain) assert.equal(checkpoint.seq, seq++);
        const size = (await readFile(file)).length;
        assert.equal(chain.at(-1)![0].end, size, `${file}: sealed to its end`);
        previous = chain.at(-1);
      }
      assert.deepEqual(
        (await texts(files)).flatMap(callIds),
        makeEvents(40).map((e) => e.call_id),
      );
    });
  });

  test("calltrail verify passes on the files in order, and with the first ones removed (as maxFiles does)", async () => {
    await withTempDir(async (dir) => {
      const { files, keyFile } = await rotatedLog(dir.path);
      const all = await cli("verify", "--key-file", keyFile, ...files);
      assert.equal(all.code, 0, shown(all));
      assert.match(
        all.stdout,
        new RegExp(`OK: ${files.length} files verified`),
      );
      for (const file of files.slice(0, 2)) {
        await unlink(file);
        await unlink(`${file}.chain`);
      }
      const rest = await cli(
        "verify",
        "--key-file",
        keyFile,
        ...files.slice(2),
      );
      assert.equal(rest.code, 0, shown(rest));
      assert.match(rest.stdout, /the chain began before this file/);
    });
  });

  test("calltrail verify fails with a file removed from the middle", async () => {
    await withTempDir(async (dir) => {
      const { files, keyFile } = await rotatedLog(dir.path);
      const given = [...files.slice(0, 1), ...files.slice(2)];
      const result = await cli("verify", "--key-file", keyFile, ...given);
      assert.equal(result.code, 1, shown(result));
      assert.match(
        result.stdout,
        /FAILED: .*: checkpoint \d+ .* does not follow the last checkpoint of .* a file is missing between them, or the files are out of order/,
      );
    });
  });

  test("calltrail verify fails with two files swapped", async () => {
    await withTempDir(async (dir) => {
      const { files, keyFile } = await rotatedLog(dir.path);
      const given = [files[0], files[2], files[1], ...files.slice(3)];
      const result = await cli("verify", "--key-file", keyFile, ...given);
      assert.equal(result.code, 1, shown(result));
      assert.match(result.stdout, /does not follow the last checkpoint of/);
    });
  });

  test("a chained file without checkpoints (empty) between two files does not hide a missing file", async () => {
    await withTempDir(async (dir) => {
      const { files, keyFile } = await rotatedLog(dir.path);
      const empty = join(dir.path, "empty.jsonl");
      await writeFile(empty, "");
      await writeFile(`${empty}.chain`, "");
      const whole = [files[0], files[1], empty, ...files.slice(2)];
      const passed = await cli("verify", "--key-file", keyFile, ...whole);
      assert.equal(passed.code, 0, shown(passed));
      const gap = [files[0], empty, ...files.slice(2)];
      const failed = await cli("verify", "--key-file", keyFile, ...gap);
      assert.equal(failed.code, 1, shown(failed));
      assert.match(failed.stdout, /does not follow the last checkpoint of/);
    });
  });

  test("maxFiles deletes the oldest files with their sidecars, and what is left verifies", async () => {
    await withTempDir(async (dir) => {
      const { files, keyFile } = await rotatedLog(dir.path, { maxFiles: 2 });
      assert.equal(files.length, 3);
      const result = await cli("verify", "--key-file", keyFile, ...files);
      assert.equal(result.code, 0, shown(result));
    });
  });

  test("a file with its sidecar moved before reopen() goes on the chain in the new file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const errors: Error[] = [];
      const sink = await fileAuditSink(path, {
        chain: true,
        onError: (e) => void errors.push(e),
      });
      const events = makeEvents(10);
      for (const event of events.slice(0, 5)) sink.onCall(event);
      await sink.flush();
      await rename(path, `${path}.1`);
      await rename(`${path}.chain`, `${path}.1.chain`);
      await sink.reopen();
      for (const event of events.slice(5)) sink.onCall(event);
      await sink.close();
      const result = await cli("verify", `${path}.1`, path);
      assert.equal(result.code, 0, shown(result));
      assert.deepEqual(errors, []);
    });
  });

  test("reopen() with the sidecar left behind says that verify will fail", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const errors: Error[] = [];
      const sink = await fileAuditSink(path, {
        chain: true,
        onError: (e) => void errors.push(e),
      });
      sink.onCall(makeEvents(1)[0]);
      await sink.flush();
      await rename(path, `${path}.1`);
      await sink.reopen();
      await sink.close();
      assert.match(
        errors[0]?.message ?? "",
        /still holds the checkpoints of the file before .* calltrail verify will fail/,
      );
    });
  });

  test(
    "a sidecar that cannot be renamed: the log is renamed back, nothing is lost, and the chain verifies",
    { skip: isWindows },
    async () => {
      await withTempDir(async (dir) => {
        // The rotated log's name fits (232 + 21 = 253 bytes); its sidecar's
        // does not (259 > 255), so that the log's rename succeeds, the
        // sidecar's fails (also for root), and the log must be renamed back.
        const path = join(dir.path, "a".repeat(232));
        const { errors } = await failingRotations(path, { chain: true });
        assert.match(
          errors[0].message,
          /failed while renaming its chain \(.+\)\. Nothing is lost: the sink goes on writing to the live file/,
        );
        assert.equal((await checkpoints(path)).length, 5);
        const result = await cli("verify", path);
        assert.equal(result.code, 0, shown(result));
      });
    },
  );
});
