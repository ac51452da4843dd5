// stderrAuditSink, in child processes on the runtime under test: the lines
// arrive on the child's stderr, whole and in order, stderr stays open after
// close(), and nothing is lost when the child exits without close().

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runChild, runtime } from "../_helpers.ts";
import { assertEventLines, makeEvents, MARKER } from "./children/events.ts";

const CHILD = join(import.meta.dirname!, "children", "stdio_child.ts");

/**
 * Stops reading `stream` of `child` for a while, so that the pipe fills up
 * and the child meets a full pipe when it exits: lines it does not write
 * synchronously then get lost every time, not only when the parent happens
 * to read slowly. Reading resumes when the child exits, or after a while, so
 * that a child that blocks in a synchronous write (as it should) goes on.
 */
function stopReadingAWhile(
  child: Parameters<NonNullable<Parameters<typeof runChild>[2]>>[1],
  stream: "stdout" | "stderr",
): void {
  const readable = child[stream]!;
  readable.pause();
  const timer = setTimeout(() => readable.resume(), 300);
  child.on("exit", () => {
    clearTimeout(timer);
    readable.resume();
  });
}

describe("stderrAuditSink", () => {
  test("N events, then close(): N lines on stderr, and stderr still works after close()", async () => {
    const n = 3_000;
    const result = await runChild(CHILD, ["stderr", String(n), "close"]);
    assert.equal(
      result.code,
      0,
      `child (${runtime}) exited with ${result.code}/${result.signal}: ${
        result.stderr.slice(-2000)
      }`,
    );
    const out = result.stderr;
    assert.ok(out.endsWith("\n"), `stderr does not end with "\\n"`);
    // The marker, printed with console.error after close(), is the last line.
    const start = out.lastIndexOf("\n", out.length - 2) + 1;
    const marker = out.slice(start, -1);
    assert.ok(
      marker.startsWith(`${MARKER} `),
      `the last line of stderr is not the marker: ${marker.slice(0, 300)}`,
    );
    assert.deepEqual(JSON.parse(marker.slice(MARKER.length + 1)), {
      stats: {
        accepted: n,
        written: n,
        dropped: 0,
        failed: 0,
        invalid: 2,
        queued: 0,
      },
      errors: 2,
    });
    // Before it: exactly the N events, in order, and nothing else (the two
    // invalid events left no line).
    assertEventLines(out.slice(0, start), makeEvents(n), "child stderr");
    assert.ok(
      !result.stdout.includes('"call_id"'),
      `an event went to stdout: ${result.stdout.slice(0, 300)}`,
    );
  });

  test(
    `${
      runtime === "deno" ? "Deno.exit(0)" : "process.exit(0)"
    } right after 20,000 onCall, without close(): all lines arrive`,
    async () => {
      // About 4 MB: more than a pipe or socket buffer holds, so lines the
      // child does not write synchronously before it ends are lost.
      const n = 20_000;
      let held = false;
      const result = await runChild(
        CHILD,
        ["stderr", String(n), "exit"],
        (_chunk, child) => {
          if (held) return;
          held = true;
          stopReadingAWhile(child, "stderr");
        },
      );
      assert.equal(
        result.code,
        0,
        `child (${runtime}) exited with ${result.code}/${result.signal}: ${
          result.stderr.slice(-2000)
        }`,
      );
      assert.equal(result.stdout, `${MARKER} start\n`);
      assertEventLines(result.stderr, makeEvents(n), "child stderr");
    },
  );
});
