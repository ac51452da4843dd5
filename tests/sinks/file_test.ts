// fileAuditSink on real files in a temporary directory, and in child
// processes that exit without close().

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AuditSinkStats,
  type CallEvent,
  fileAuditSink,
  type JsonLinesAuditSink,
  serializeCallEvent,
} from "../../mod.ts";
import {
  runChild,
  runtime,
  runUntilReady,
  stats,
  tempDir,
  tick,
} from "../_helpers.ts";
import {
  assertEventLines,
  callWithEach,
  invalidInputs,
  makeEvent,
  makeEvents,
} from "./children/events.ts";
import { killEvent, LARGE_EVERY } from "./children/kill_events.ts";

const CHILD = join(import.meta.dirname!, "children", "file_exit_child.ts");
const KILL_CHILD = join(import.meta.dirname!, "children", "kill_child.ts");

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await fn(dir.path);
  } finally {
    await dir[Symbol.asyncDispose]();
  }
}

/** A file sink in `dir` whose reports are collected, and the invalid inputs. */
async function invalidInputCase(dir: string) {
  const path = join(dir, "audit.jsonl");
  const errors: unknown[] = [];
  const sink = await fileAuditSink(path, {
    onError: (error) => void errors.push(error),
  });
  return { path, inputs: invalidInputs(), errors, sink };
}

/**
 * How many of this process's file descriptors point at `path`, or
 * `undefined` where /proc/self/fd does not exist (not Linux).
 */
/** The stats of a sink that wrote `n` events and nothing else. */
const written = (n: number): AuditSinkStats =>
  stats({ accepted: n, written: n });

function openDescriptors(path: string): number | undefined {
  if (!existsSync("/proc/self/fd")) return undefined;
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // Closed while we looked (the directory's own descriptor).
    }
  }
  return count;
}

describe("fileAuditSink", () => {
  test("creates the file with mode 0o600, before any event", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await fileAuditSink(path);
      try {
        const info = await stat(path);
        assert.ok(info.isFile());
        assert.equal(info.size, 0);
        assert.equal(
          info.mode & 0o777,
          0o600,
          `mode is 0o${(info.mode & 0o777).toString(8)}`,
        );
      } finally {
        await sink.close();
      }
      assert.equal((await stat(path)).mode & 0o777, 0o600);
    });
  });

  test("appends to an existing file without truncating it", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const before = [makeEvent(100), makeEvent(101)];
      await writeFile(
        path,
        before.map((event) => serializeCallEvent(event) + "\n").join(""),
      );

      const first = await fileAuditSink(path);
      for (const event of makeEvents(3)) first.onCall(event);
      await first.close();
      assertEventLines(
        await readFile(path, "utf8"),
        [...before, ...makeEvents(3)],
      );

      // A second sink on the same file appends after the first one's lines.
      const second = await fileAuditSink(path);
      second.onCall(makeEvent(3));
      await second.close();
      assertEventLines(
        await readFile(path, "utf8"),
        [...before, ...makeEvents(4)],
      );
      assert.deepEqual(second.stats(), written(1));
    });
  });

  test("writes 10,000 events: one whole line each, in order, equal to the event", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const n = 10_000;
      const events = makeEvents(n);
      // All six outcome kinds and every optional key are among them.
      assert.equal(new Set(events.map((event) => event.outcome.kind)).size, 6);
      assert.ok(events.some((event) => event.caller_id !== undefined));
      assert.ok(events.some((event) => event.cursor_page !== undefined));
      assert.ok(
        events.some((event) => event.capability_provenance !== undefined),
      );

      const errors: Error[] = [];
      const sink = await fileAuditSink(path, {
        capacity: n,
        onError: (error) => void errors.push(error),
      });
      for (const event of events) sink.onCall(event);
      assert.equal(sink.stats().accepted, n);
      await sink.close();

      assertEventLines(await readFile(path, "utf8"), events, path);
      assert.deepEqual(sink.stats(), written(n));
      assert.equal(sink.drops(), 0);
      assert.deepEqual(errors, []);
    });
  });

  test("writes lines longer than a batch whole, between short ones", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const events: CallEvent[] = [];
      for (let i = 0; i < 12; i++) {
        const event = makeEvent(i);
        if (i % 3 === 1) {
          // About 150 000 UTF-16 units, 300 000 UTF-8 bytes: beyond a batch.
          event.outcome = {
            kind: "invalid_args",
            message: `${i}:` + 'é\n"x'.repeat(37_500),
          };
        }
        events.push(event);
      }
      const sink = await fileAuditSink(path);
      for (const event of events) sink.onCall(event);
      await sink.close();
      assertEventLines(await readFile(path, "utf8"), events, path);
      assert.deepEqual(sink.stats(), written(events.length));
    });
  });

  test("writes the event as it was at onCall, whatever the caller does to it later", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await fileAuditSink(path);

      // Mutated in every way after onCall.
      const mutated = makeEvent(7); // invalid_args, with caller_id
      sink.onCall(mutated);
      mutated.tool_id = "ref:changed";
      mutated.caller_id = "someone-else";
      mutated.granted_capabilities.push("admin");
      mutated.duration_ms = 999_999;
      (mutated.outcome as { message: string }).message = "rewritten";
      mutated.dry_run = !mutated.dry_run;

      // One object reused for two events, then mutated in place.
      const reused = makeEvent(0);
      sink.onCall(reused);
      Object.assign(reused, makeEvent(1));
      sink.onCall(reused);
      reused.granted_capabilities.push("zzz");
      reused.outcome = { kind: "tool_not_found" };
      delete reused.caller_id;

      await sink.close();
      assertEventLines(
        await readFile(path, "utf8"),
        [makeEvent(7), makeEvent(0), makeEvent(1)],
      );
    });
  });

  test("writes only the wire keys: an extra property, even a cycle, is left out", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await fileAuditSink(path);
      const outcome: Record<string, unknown> = { kind: "success" };
      outcome.self = outcome;
      const event = {
        ...makeEvent(0),
        outcome,
        args: { password: "hunter2" },
      } as unknown as CallEvent;
      sink.onCall(event);
      await sink.close();
      const text = await readFile(path, "utf8");
      assert.equal(text, serializeCallEvent(makeEvent(0)) + "\n");
      assert.ok(!text.includes("hunter2"));
      assert.deepEqual(sink.stats(), written(1));
    });
  });

  test("flush() resolves once the lines are in the file", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await fileAuditSink(path);
      try {
        await sink.flush(); // nothing accepted yet
        assert.equal(await readFile(path, "utf8"), "");

        for (const event of makeEvents(3)) sink.onCall(event);
        await sink.flush();
        assertEventLines(await readFile(path, "utf8"), makeEvents(3));
        assert.deepEqual(sink.stats(), written(3));

        for (const event of makeEvents(2, 3)) sink.onCall(event);
        await sink.flush();
        assertEventLines(await readFile(path, "utf8"), makeEvents(5));
        assert.deepEqual(sink.stats(), written(5));
      } finally {
        await sink.close();
      }
    });
  });

  test("onCall after close() drops the event and counts it", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await fileAuditSink(path);
      sink.onCall(makeEvent(0));
      const closing = sink.close();
      sink.onCall(makeEvent(1)); // after close() started
      await closing;
      sink.onCall(makeEvent(2)); // after close() resolved
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 1, written: 1, dropped: 2 }),
      );
      assert.equal(sink.drops(), 2);
      assertEventLines(await readFile(path, "utf8"), [makeEvent(0)]);
    });
  });

  test("close() is idempotent and closes the file", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const errors: Error[] = [];
      const sink = await fileAuditSink(path, {
        onError: (error) => void errors.push(error),
      });
      const open = openDescriptors(path);
      if (open !== undefined) assert.equal(open, 1, "descriptors while open");
      sink.onCall(makeEvent(0));
      await Promise.all([sink.close(), sink.close()]);
      await sink.close();
      await sink[Symbol.asyncDispose]();
      assert.deepEqual(errors, []);
      assert.deepEqual(sink.stats(), written(1));
      assertEventLines(await readFile(path, "utf8"), [makeEvent(0)]);
      if (open !== undefined) {
        assert.equal(openDescriptors(path), 0, "descriptors after close()");
      }
    });
  });

  test("[Symbol.asyncDispose]() closes the sink", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await fileAuditSink(path);
      for (const event of makeEvents(2)) sink.onCall(event);
      await sink[Symbol.asyncDispose]();
      assertEventLines(await readFile(path, "utf8"), makeEvents(2));
      sink.onCall(makeEvent(2));
      assert.deepEqual(sink.stats(), { ...written(2), dropped: 1 });
      await sink.close();
    });
  });

  test("await using closes the sink at the end of the block", async (t) => {
    let writeInAwaitUsingBlock: (
      path: string,
      events: readonly CallEvent[],
    ) => Promise<JsonLinesAuditSink>;
    try {
      ({ writeInAwaitUsingBlock } = await import(
        "./children/await_using.ts"
      ));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      t.skip(`this runtime has no \`await using\` syntax (${error.message})`);
      return;
    }
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const sink = await writeInAwaitUsingBlock(path, makeEvents(3));
      // Disposed at the end of the block: the lines are in the file.
      assertEventLines(await readFile(path, "utf8"), makeEvents(3));
      assert.deepEqual(sink.stats(), written(3));
      sink.onCall(makeEvent(3));
      assert.equal(sink.stats().dropped, 1);
    });
  });

  test("send() accepts without loss, and rejects after close()", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const n = 200;
      const sink = await fileAuditSink(path, { capacity: 4 });
      for (const event of makeEvents(n)) {
        const sent = sink.send(event);
        assert.ok(sent instanceof Promise);
        await sent;
      }
      await sink.flush();
      assertEventLines(await readFile(path, "utf8"), makeEvents(n));
      await sink.close();
      await assert.rejects(
        () => sink.send(makeEvent(n)),
        (error: unknown) =>
          error instanceof Error && /close/.test(error.message),
      );
      assert.deepEqual(sink.stats(), { ...written(n), dropped: 1 });
      assertEventLines(await readFile(path, "utf8"), makeEvents(n));
    });
  });

  /**
   * Asserts that `fileAuditSink(path)` rejects with an Error whose message
   * holds the path as JSON quotes it, and the system's reason (`reason`).
   */
  async function assertOpenFails(path: string, reason: RegExp): Promise<void> {
    const quoted = JSON.stringify(path);
    await assert.rejects(
      () => fileAuditSink(path),
      (error: unknown) => {
        assert.ok(error instanceof Error, `not an Error: ${error}`);
        assert.ok(
          error.message.includes(quoted),
          `message does not name ${quoted}: ${error.message}`,
        );
        assert.match(error.message, reason);
        return true;
      },
    );
  }

  test("rejects, naming the path, when the directory does not exist", async () => {
    await inTempDir(async (dir) => {
      // Quotes and a backslash in the name: the message holds it JSON-quoted.
      const path = join(dir, 'no "such" \\ dir', "audit.jsonl");
      await assertOpenFails(path, /ENOENT|no such file|not found/i);
      assert.deepEqual(readdirSync(dir), [], "something was created");
    });
  });

  test("rejects, naming the path, when its parent is a regular file (ENOTDIR)", async () => {
    await inTempDir(async (dir) => {
      const parent = join(dir, "plain.txt");
      await writeFile(parent, "not a directory\n");
      const path = join(parent, "audit.jsonl");
      await assertOpenFails(path, /ENOTDIR|not a directory/i);
      assert.equal(await readFile(parent, "utf8"), "not a directory\n");
    });
  });

  test("rejects, naming the path, when the path is a directory (EISDIR)", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      await mkdir(path);
      await assertOpenFails(path, /EISDIR|is a directory/i);
      assert.deepEqual(readdirSync(path), []);
    });
  });

  test("rejects, naming the path, when the directory takes no new files (/sys, also for root)", async (t) => {
    // Tests may run as root, for whom no mode makes a directory unwritable;
    // sysfs refuses to create a regular file whoever asks.
    if (!existsSync("/sys/kernel")) {
      t.skip("no sysfs on this system");
      return;
    }
    await assertOpenFails(
      "/sys/calltrail-audit.jsonl",
      /EACCES|EPERM|EROFS|permission|denied|read-only/i,
    );
    assert.equal(existsSync("/sys/calltrail-audit.jsonl"), false);
  });

  test("a destination that fails (/dev/full): batch counted as failed, onError told with the path, close() settles", async (t) => {
    if (!existsSync("/dev/full")) {
      t.skip("no /dev/full on this system");
      return;
    }
    const errors: Error[] = [];
    const sink = await fileAuditSink("/dev/full", {
      onError: (error) => void errors.push(error),
    });
    for (const event of makeEvents(3)) sink.onCall(event);
    await sink.flush();
    assert.deepEqual(sink.stats(), stats({ accepted: 3, failed: 3 }));
    assert.ok(errors.length >= 1, "onError was not called");
    assert.ok(errors[0] instanceof Error);
    assert.ok(
      errors[0].message.includes("/dev/full"),
      `onError's error does not name the path: ${errors[0].message}`,
    );

    // The sink takes no more events; onCall still never throws.
    sink.onCall(makeEvent(3));
    const counts = sink.stats();
    assert.equal(counts.accepted + counts.dropped + counts.invalid, 4);
    assert.equal(
      counts.accepted,
      counts.written + counts.failed + counts.queued,
    );

    await sink.close();
    assert.equal(sink.stats().queued, 0);
    assert.equal(sink.stats().written, 0);
    const open = openDescriptors("/dev/full");
    if (open !== undefined) assert.equal(open, 0, "/dev/full left open");
  });

  test("after a failed write (/dev/full): onCall neither throws nor waits, events are dropped, send() rejects, onError is told once, close() settles with balanced counters", async (t) => {
    if (!existsSync("/dev/full")) {
      t.skip("no /dev/full on this system");
      return;
    }
    const errors: Error[] = [];
    const n = 1_000;
    const sink = await fileAuditSink("/dev/full", {
      capacity: n,
      onError: (error) => void errors.push(error),
    });
    // Several 64 KiB batches fill the queue: the first write fails, and the
    // batches behind it fail without another report.
    for (const event of makeEvents(n)) sink.onCall(event);
    assert.deepEqual(sink.stats(), stats({ accepted: n, queued: n }));
    // A send() waiting for room is turned away when the destination fails.
    const waiting = assert.rejects(
      sink.send(makeEvent(n)),
      (error: unknown) =>
        error instanceof Error && /\/dev\/full/.test(error.message),
    );
    await sink.flush();
    await waiting;
    assert.deepEqual(
      sink.stats(),
      stats({ accepted: n, failed: n, dropped: 1 }),
    );
    assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
    assert.ok(
      errors[0].message.includes(JSON.stringify("/dev/full")),
      `onError's error does not name the path: ${errors[0].message}`,
    );

    // Later events: each onCall returns at once (nothing to wait for) and
    // counts a drop before it returns; onError hears nothing more.
    const later = 1_000;
    for (let i = 0; i < later; i++) {
      const returned: unknown = sink.onCall(makeEvent(n + 1 + i));
      assert.equal(returned, undefined);
      assert.equal(sink.stats().dropped, 2 + i);
    }
    sink.onCall(null as unknown as CallEvent); // dropped unchecked, like any
    await assert.rejects(
      sink.send(makeEvent(n + 1 + later)),
      (error: unknown) =>
        error instanceof Error && /\/dev\/full/.test(error.message),
    );
    await sink.flush();
    await tick(); // the sink's timers, if any, have run
    assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));

    await sink.close();
    const dropped = 1 + later + 1 + 1;
    assert.deepEqual(sink.stats(), stats({ accepted: n, failed: n, dropped }));
    assert.equal(sink.drops(), dropped);
    assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
    const open = openDescriptors("/dev/full");
    if (open !== undefined) assert.equal(open, 0, "/dev/full left open");
  });

  test("invalid input: onCall never throws, counts it as invalid, reports it, writes no line", async () => {
    await inTempDir(async (dir) => {
      const { path, inputs, errors, sink } = await invalidInputCase(dir);
      sink.onCall(makeEvent(0));
      callWithEach(sink, inputs);
      sink.onCall(makeEvent(1));
      const stats = sink.stats();
      assert.equal(stats.accepted, 2);
      assert.equal(stats.invalid, inputs.length);
      assert.equal(stats.dropped, 0);
      assert.equal(stats.accepted, stats.written + stats.failed + stats.queued);
      assert.equal(errors.length, inputs.length);
      inputs.forEach((input, i) => {
        const error = errors[i];
        assert.ok(error instanceof Error, `${input.name}: not an Error`);
        assert.match(error.message, input.message, input.name);
      });
      await sink.close();
      assertEventLines(await readFile(path, "utf8"), makeEvents(2));
      assert.deepEqual(sink.stats(), {
        ...written(2),
        invalid: inputs.length,
      });
    });
  });

  test("invalid input: send() rejects with an error naming the field and counts it as invalid", async () => {
    await inTempDir(async (dir) => {
      const { path, inputs, errors, sink } = await invalidInputCase(dir);
      for (const input of inputs) {
        await assert.rejects(
          () => sink.send(input.value as CallEvent),
          (error: unknown) => {
            assert.ok(error instanceof Error, `${input.name}: not an Error`);
            assert.match(error.message, input.message, input.name);
            return true;
          },
        );
      }
      await sink.send(makeEvent(0));
      await sink.close();
      assert.equal(errors.length, inputs.length);
      assert.deepEqual(sink.stats(), {
        ...written(1),
        invalid: inputs.length,
      });
      assertEventLines(await readFile(path, "utf8"), [makeEvent(0)]);
    });
  });
});

describe("fileAuditSink when the process exits without close()", () => {
  /** Runs the child in `mode` and asserts the file has events 0 to n-1. */
  async function exitCase(mode: string, n: number): Promise<void> {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const result = await runChild(CHILD, [path, String(n), mode]);
      assert.equal(
        result.code,
        0,
        `child (${runtime}, ${mode}) exited with ${result.code}/${result.signal}: ${result.stderr}`,
      );
      assertEventLines(
        await readFile(path, "utf8"),
        makeEvents(n),
        `${path} (${mode})`,
      );
    });
  }

  test(
    `the runtime's own exit (${
      runtime === "deno" ? "Deno.exit" : "process.exit"
    }(0)) right after 5,000 onCall: every event is in the file`,
    () => exitCase("exit", 5_000),
  );

  test("process.exit(0), the Node API on every runtime, right after 5,000 onCall: every event is in the file", () =>
    exitCase("process-exit", 5_000));

  test("the event loop ends by itself: every event is in the file", () =>
    exitCase("return", 5_000));

  test("exit from a microtask after awaited send()s: every event is in the file", () =>
    exitCase("send-microtask", 300));

  test("exit from a timer after awaited send()s: every event is in the file", () =>
    exitCase("send-timer", 300));

  test("a full disk (/dev/full) at exit: the process still exits 0, and onError's default says so once", async (t) => {
    if (!existsSync("/dev/full")) {
      t.skip("no /dev/full on this system");
      return;
    }
    const result = await runChild(CHILD, ["/dev/full", "1000", "exit"]);
    assert.equal(
      result.code,
      0,
      `child (${runtime}) exited with ${result.code}/${result.signal}: ${result.stderr}`,
    );
    const reports = result.stderr.split("\n").filter((line) =>
      line.includes("failed to write")
    );
    assert.equal(reports.length, 1, result.stderr);
    assert.match(reports[0], /\/dev\/full/);
    // The first batch's events, then those queued behind it: 1,000 in all.
    const [, first, rest] =
      /failed to write (\d+) events.*?(?:The (\d+) events still queued|$)/
        .exec(reports[0]) ?? [];
    assert.equal(Number(first) + Number(rest ?? 0), 1000, reports[0]);
  });
});

describe("fileAuditSink when the process is killed (SIGKILL)", () => {
  /** The child is killed once the file holds this much, well past "ready". */
  const KILL_AFTER_BYTES = 1024 * 1024;
  const encoder = new TextEncoder();

  /**
   * Asserts that `bytes` are whole lines, events 0 to k-1 of the child in
   * order, then at most one torn line: a prefix of event k's line (at most
   * all of it, without its "\n"). Returns k.
   */
  function assertWholeLinesThenTorn(bytes: Uint8Array, where: string): number {
    const end = bytes.lastIndexOf(0x0a) + 1;
    let whole: string;
    try {
      whole = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
        .decode(bytes.subarray(0, end));
    } catch (error) {
      assert.fail(`${where}: the whole lines are not UTF-8 (${error})`);
    }
    const count = whole.split("\n").length - 1;
    assert.ok(count > 0, `${where}: no whole line (${bytes.length} bytes)`);
    assertEventLines(
      whole,
      Array.from({ length: count }, (_, k) => killEvent(k)),
      where,
    );
    // What follows the last "\n" is the start of the next event's line, cut
    // anywhere (even inside a UTF-8 sequence): compared as bytes.
    const tail = bytes.subarray(end);
    const next = encoder.encode(serializeCallEvent(killEvent(count)) + "\n");
    const differs = tail.findIndex((byte, k) => byte !== next[k]);
    assert.ok(
      differs === -1 && tail.length < next.length,
      `${where}: the ${tail.length} bytes after line ${count} are not the start of event ${count}'s line (${next.length} bytes); they differ at byte ${differs}: ${
        new TextDecoder().decode(tail.subarray(0, 200))
      }`,
    );
    return count;
  }

  test("the file holds events 0, 1, 2... in order, as whole lines, then at most one torn line", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "audit.jsonl");
      const { child, result: running, ended } = await runUntilReady(
        KILL_CHILD,
        [path],
      );
      // Let it write on, past "ready", until the file is large; stop
      // waiting if it ended by itself (the assertions below tell why).
      while (!ended() && (await stat(path)).size < KILL_AFTER_BYTES) {
        await tick();
      }
      if (!ended()) child!.kill("SIGKILL");
      const result = await running;
      const how =
        `child (${runtime}) ended with ${result.code}/${result.signal}, stdout ${
          JSON.stringify(result.stdout)
        }, stderr: ${result.stderr}`;
      assert.equal(result.signal, "SIGKILL", how);
      assert.equal(result.stdout, "ready\n", how);

      const bytes = await readFile(path);
      assert.ok(
        bytes.length >= KILL_AFTER_BYTES,
        `${path}: ${bytes.length} bytes`,
      );
      const count = assertWholeLinesThenTorn(bytes, path);
      // Large events were among those written, whole.
      assert.ok(count > LARGE_EVERY, `${path}: only ${count} lines`);
    });
  });
});
