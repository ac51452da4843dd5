// fileAuditSink(path, { rotate }) and reopen(), on real files in a temporary
// directory: rotation by size and by time (an injected clock), the rotated
// names, maxFiles, the mode of new files, a rotation that fails, the exit
// drain (which never rotates), an external rename then reopen(), and
// options that are refused. The chain across files is in
// file_rotate_chain_test.ts, the property test and the SIGKILL test in
// file_rotate_property_test.ts.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CallEvent,
  fileAuditSink,
  type FileAuditSinkOptions,
  serializeCallEvent,
} from "../../mod.ts";
import { runChild, runtime, withTempDir } from "../_helpers.ts";
import { writeBatches } from "./_write_batches.ts";
import { makeEvents } from "./children/events.ts";
import {
  allFiles,
  callIds,
  failingRotations,
  isWindows,
  ROTATED,
  rotatedFiles,
  texts,
} from "./_rotated.ts";

const CHILD = join(import.meta.dirname!, "children", "rotate_child.ts");

/** Bytes of event `i`'s line. */
const lineBytes = (event: CallEvent) =>
  new TextEncoder().encode(serializeCallEvent(event) + "\n").length;

/** The call_ids of `events`. */
const ids = (events: CallEvent[]) => events.map((e) => e.call_id);

describe("fileAuditSink with rotate.maxBytes", () => {
  test("rotates before a batch would take the file past maxBytes: every event once, in order, across files that sort by time", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const events = makeEvents(60);
      const batches = Array.from(
        { length: 20 },
        (_, i) => events.slice(i * 3, i * 3 + 3),
      );
      const maxBytes = 2000;
      const sink = await writeBatches(path, batches, { rotate: { maxBytes } });
      await sink.close();
      const files = await allFiles(path);
      assert.ok(files.length > 3, `${files.length} files`);
      assert.equal(files.at(-1), path);
      assert.equal(sink.rotations().rotated, files.length - 1);
      assert.equal(sink.rotations().failed, 0);
      const contents = await texts(files);
      assert.deepEqual(contents.flatMap(callIds), ids(events));
      for (const [i, text] of contents.entries()) {
        const size = new TextEncoder().encode(text).length;
        assert.ok(size <= maxBytes, `${files[i]}: ${size} bytes`);
        // Full: the next file's first batch would not have fitted.
        if (i < contents.length - 1) {
          const next = callIds(contents[i + 1]).length;
          assert.ok(next > 0);
        }
        assert.ok(text.endsWith("\n"));
      }
      for (const file of files.slice(0, -1)) {
        assert.match(file.slice(path.length), ROTATED);
      }
    });
  });

  test("bytes already in the file count; a batch larger than maxBytes goes into a file of its own", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const [first, ...rest] = makeEvents(12);
      const maxBytes = lineBytes(first) + 10;
      await writeFile(path, serializeCallEvent(first) + "\n");
      // A batch of 1 event (does not fit with the line already there), then
      // one of 10 (larger than maxBytes), then one of 1.
      const sink = await writeBatches(
        path,
        [[rest[0]], rest.slice(1, 11), makeEvents(1, 100)],
        { rotate: { maxBytes } },
      );
      await sink.close();
      const contents = await texts(await allFiles(path));
      assert.deepEqual(contents.map(callIds), [
        [first.call_id],
        [rest[0].call_id],
        ids(rest.slice(1, 11)),
        ["call-00000100"],
      ]);
    });
  });

  test("the exit drain writes everything to the live file, without rotating", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const child = await runChild(CHILD, ["exit", path]);
      assert.equal(child.code, 0, `${runtime}: ${child.stderr}`);
      assert.deepEqual(await rotatedFiles(path), []);
      assert.deepEqual(
        callIds(await readFile(path, "utf8")),
        ids(makeEvents(2000)),
      );
    });
  });

  test("new files have mode 0600", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const batches = Array.from({ length: 5 }, (_, i) => makeEvents(3, i * 3));
      const sink = await writeBatches(path, batches, {
        chain: true,
        rotate: { maxBytes: 1000 },
      });
      await sink.close();
      const files = await allFiles(path);
      assert.ok(files.length > 2);
      if (isWindows) return;
      for (const file of [...files, ...files.map((f) => `${f}.chain`)]) {
        assert.equal((await stat(file)).mode & 0o777, 0o600, file);
      }
    });
  });
});

describe("fileAuditSink with rotate.interval (an injected clock)", () => {
  test("hourly: rotates at the first batch after each UTC hour, named after the time of the rotation", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      let now = Date.UTC(2026, 11, 2, 0, 59, 59, 900);
      const sink = await fileAuditSink(path, {
        rotate: { interval: "hourly", now: () => now },
      });
      const events = makeEvents(8);
      const write = async (from: number, to: number) => {
        for (const event of events.slice(from, to)) sink.onCall(event);
        await sink.flush();
      };
      await write(0, 2);
      now += 50; // 00:59:59.950, the same hour
      await write(2, 3);
      now = Date.UTC(2026, 11, 2, 1, 0, 0, 123);
      await write(3, 5);
      now = Date.UTC(2026, 11, 2, 1, 30);
      await write(5, 6);
      now = Date.UTC(2026, 11, 2, 3, 0, 0, 7);
      await write(6, 8);
      await sink.close();
      const files = await allFiles(path);
      assert.deepEqual(files, [
        `${path}.20261202T010000.123Z`,
        `${path}.20261202T030000.007Z`,
        path,
      ]);
      assert.deepEqual((await texts(files)).map(callIds), [
        ids(events.slice(0, 3)),
        ids(events.slice(3, 6)),
        ids(events.slice(6)),
      ]);
    });
  });

  test("daily: a file written on an earlier day is rotated at the first batch, then at midnight UTC", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      // Its mtime is now, real time: days before the injected clock.
      await writeFile(path, serializeCallEvent(makeEvents(1, 50)[0]) + "\n");
      let now = Date.UTC(2030, 0, 1, 12);
      const sink = await fileAuditSink(path, {
        rotate: { interval: "daily", now: () => now },
      });
      sink.onCall(makeEvents(1)[0]);
      await sink.flush();
      now = Date.UTC(2030, 0, 1, 23, 59);
      sink.onCall(makeEvents(1, 1)[0]);
      await sink.flush();
      now = Date.UTC(2030, 0, 2, 0, 0, 1);
      sink.onCall(makeEvents(1, 2)[0]);
      await sink.close();
      const files = await allFiles(path);
      assert.deepEqual(files, [
        `${path}.20300101T120000.000Z`,
        `${path}.20300102T000001.000Z`,
        path,
      ]);
      assert.deepEqual((await texts(files)).map(callIds), [
        ["call-00000050"],
        ["call-00000000", "call-00000001"],
        ["call-00000002"],
      ]);
    });
  });

  test("rotations at the same millisecond get suffixes that keep the names unique and sorted", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const now = Date.UTC(2026, 11, 2, 1, 0, 0, 123);
      const events = makeEvents(12);
      const sink = await writeBatches(path, events.map((e) => [e]), {
        rotate: { maxBytes: 1, now: () => now },
      });
      await sink.close();
      const files = await allFiles(path);
      const stamp = `${path}.20261202T010000.123Z`;
      assert.deepEqual(files.slice(0, 3), [
        stamp,
        `${stamp}-000001`,
        `${stamp}-000002`,
      ]);
      assert.equal(files.length, 12);
      assert.deepEqual((await texts(files)).flatMap(callIds), ids(events));
    });
  });

  test("a name whose file or sidecar exists is skipped for the next suffix", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const errors: Error[] = [];
      const sink = await fileAuditSink(path, {
        chain: true,
        rotate: { maxBytes: 1, now: () => Date.UTC(2026, 0, 1) },
        onError: (e) => void errors.push(e),
      });
      sink.onCall(makeEvents(1)[0]);
      await sink.flush();
      // The rotated sidecar's names are taken (by directories).
      const stamp = `${path}.20260101T000000.000Z`;
      await mkdir(`${stamp}-000001.chain/x`, { recursive: true });
      await mkdir(`${stamp}.chain/x`, { recursive: true });
      sink.onCall(makeEvents(1, 1)[0]);
      await sink.close();
      assert.equal(sink.rotations().failed, 0, "names taken are skipped");
      assert.deepEqual(await rotatedFiles(path), [`${stamp}-000002`]);
      assert.deepEqual(errors, []);
    });
  });
});

describe("fileAuditSink with rotate.maxFiles", () => {
  test("keeps the newest maxFiles rotated files (with their sidecars), also those of an earlier run, and deletes the older ones", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const old = `${path}.20200101T000000.000Z`;
      await writeFile(old, "");
      await writeFile(`${old}.chain`, "");
      const other = join(dir.path, "other.jsonl.20200101T000000.000Z");
      await writeFile(other, "");
      const events = makeEvents(10);
      const sink = await writeBatches(path, events.map((e) => [e]), {
        chain: true,
        // A clock that stands still: each name takes a suffix, and a name
        // freed by a deletion must not be taken again (it would sort first).
        rotate: { maxBytes: 1, maxFiles: 3, now: () => Date.UTC(2026, 0, 1) },
      });
      await sink.close();
      const files = await allFiles(path);
      assert.equal(files.length, 4);
      assert.equal(sink.rotations().rotated, 9);
      assert.deepEqual(
        (await texts(files)).flatMap(callIds),
        ids(events.slice(6)),
      );
      await assert.rejects(stat(old), { code: "ENOENT" });
      await assert.rejects(stat(`${old}.chain`), { code: "ENOENT" });
      await stat(other);
      for (const file of files) await stat(`${file}.chain`);
    });
  });
});

describe("a rotation that fails", () => {
  // Windows limits whole paths, not names: the live file could not open.
  test(
    "is counted and reported, and the sink goes on writing to the live file",
    {
      skip: isWindows,
    },
    async () => {
      await withTempDir(async (dir) => {
        // The live name fits (240 bytes); the rotated one does not (261 > 255),
        // so that the rename fails, also for root.
        const path = join(dir.path, "a".repeat(240));
        const { sink, errors } = await failingRotations(path);
        assert.match(
          errors[0].message,
          /rotating the audit file ".*a{240}" failed while renaming it \(.+\)\. Nothing is lost: the sink goes on writing to the live file/,
        );
        assert.equal(sink.stats().written, 5);
        assert.equal(sink.stats().failed, 0);
      });
    },
  );
});

describe("reopen()", () => {
  test("after an external rename, the next events go to a new file at path (mode 0600); none is lost or repeated", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const events = makeEvents(30);
      const sink = await fileAuditSink(path);
      for (const event of events.slice(0, 10)) sink.onCall(event);
      await sink.flush();
      for (const event of events.slice(10, 20)) sink.onCall(event);
      // logrotate in create mode: rename, then signal.
      await rename(path, `${path}.1`);
      await sink.reopen();
      for (const event of events.slice(20)) sink.onCall(event);
      await sink.close();
      const before = callIds(await readFile(`${path}.1`, "utf8"));
      const after = callIds(await readFile(path, "utf8"));
      assert.deepEqual([...before, ...after], ids(events));
      // Events 10 to 19 go to either file, depending on when their batch
      // is written; those accepted after reopen() go to the new one.
      assert.deepEqual(before.slice(0, 10), ids(events.slice(0, 10)));
      assert.deepEqual(after.slice(-10), ids(events.slice(20)));
      assert.deepEqual(sink.rotations(), {
        rotated: 0,
        reopened: 1,
        failed: 0,
      });
      if (!isWindows) assert.equal((await stat(path)).mode & 0o777, 0o600);
    });
  });

  test("without a rename it goes on in the same file; after close() it does nothing", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      const events = makeEvents(4);
      const sink = await writeBatches(path, [events.slice(0, 2)], {});
      await sink.reopen();
      for (const event of events.slice(2)) sink.onCall(event);
      await sink.close();
      await sink.reopen();
      assert.deepEqual(callIds(await readFile(path, "utf8")), ids(events));
      assert.equal(sink.rotations().reopened, 1);
    });
  });

  test("when path cannot be opened, it resolves, counts and reports the failure, and the sink writes to the file it had", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "sub", "audit.jsonl");
      await mkdir(join(dir.path, "sub"));
      const errors: Error[] = [];
      const events = makeEvents(4);
      const sink = await writeBatches(path, [events.slice(0, 2)], {
        onError: (e) => void errors.push(e),
      });
      await rename(join(dir.path, "sub"), join(dir.path, "moved"));
      await sink.reopen();
      for (const event of events.slice(2)) sink.onCall(event);
      await sink.close();
      assert.equal(sink.rotations().failed, 1);
      assert.match(
        errors[0]?.message ?? "",
        /reopen\(\) failed, so the sink goes on writing to the file it had \(calltrail: cannot open the audit file/,
      );
      assert.deepEqual(
        callIds(await readFile(join(dir.path, "moved", "audit.jsonl"), "utf8")),
        ids(events),
      );
    });
  });
});

describe("rotate options that are refused", () => {
  const cases: [unknown, RegExp][] = [
    [5, /rotate option must be an object .* got 5\. Leave it out/],
    [{}, /needs maxBytes or interval/],
    [{ maxFiles: 3 }, /needs maxBytes or interval/],
    [{ maxBytes: 0 }, /rotate\.maxBytes option must be an integer >= 1, got 0/],
    [{ maxBytes: 1.5 }, /rotate\.maxBytes .* got 1\.5/],
    [
      { interval: "weekly" },
      /rotate\.interval option must be "hourly" or "daily", got the string "weekly"/,
    ],
    [
      { maxBytes: 10, maxFiles: -1 },
      /rotate\.maxFiles option must be an integer >= 1, got -1/,
    ],
    [{ maxBytes: 10, now: 5 }, /rotate\.now option must be a function/],
  ];
  for (const [rotate, message] of cases) {
    test(`rejects ${JSON.stringify(rotate)} and creates no file`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir.path, "audit.jsonl");
        await assert.rejects(
          fileAuditSink(path, {
            rotate: rotate as FileAuditSinkOptions["rotate"],
          }),
          message,
        );
        await assert.rejects(stat(path), { code: "ENOENT" });
      });
    });
  }
});
