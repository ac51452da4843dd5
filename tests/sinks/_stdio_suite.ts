// The tests of stdoutAuditSink and stderrAuditSink, one suite for either
// stream, in child processes on the runtime under test: the lines arrive on
// the child's stream, whole and in order, the stream stays open after
// close(), and nothing is lost when the child exits without close().

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { runChild, runtime } from "../_helpers.ts";
import { assertEventLines, makeEvents, MARKER } from "./children/events.ts";

const CHILD = join(import.meta.dirname!, "children", "stdio_child.ts");

type Child = Parameters<NonNullable<Parameters<typeof runChild>[2]>>[1];

/**
 * Stops reading `stream` of `child` for a while, so that the pipe fills up
 * and the child meets a full pipe when it exits: lines it does not write
 * synchronously then get lost every time, not only when the parent happens
 * to read slowly. Reading resumes when the child exits, or after a while, so
 * that a child that blocks in a synchronous write (as it should) goes on.
 */
function stopReadingAWhile(child: Child, stream: "stdout" | "stderr"): void {
  const readable = child[stream]!;
  readable.pause();
  const timer = setTimeout(() => readable.resume(), 300);
  child.on("exit", () => {
    clearTimeout(timer);
    readable.resume();
  });
}

/** Defines the suite of the sink writing to `stream`. */
export function stdioSuite(stream: "stdout" | "stderr"): void {
  const other = stream === "stdout" ? "stderr" : "stdout";
  const logger = stream === "stdout" ? "console.log" : "console.error";

  describe(`${stream}AuditSink`, () => {
    test(`N events, then close(): N lines on ${stream}, and ${stream} still works after close()`, async () => {
      const n = 3_000;
      const result = await runChild(CHILD, [stream, String(n), "close"]);
      assert.equal(
        result.code,
        0,
        `child (${runtime}) exited with ${result.code}/${result.signal}: ${
          result.stderr.slice(-2000)
        }`,
      );
      const out = result[stream];
      assert.ok(out.endsWith("\n"), `${stream} does not end with "\\n"`);
      // The marker, printed with console.log or console.error after close(),
      // is the last line.
      const start = out.lastIndexOf("\n", out.length - 2) + 1;
      const marker = out.slice(start, -1);
      assert.ok(
        marker.startsWith(`${MARKER} `),
        `the last line of ${stream} is not the ${logger} marker: ${
          marker.slice(0, 300)
        }`,
      );
      assert.deepEqual(JSON.parse(marker.slice(MARKER.length + 1)), {
        stats: {
          accepted: n,
          written: n,
          dropped: 0,
          diverted: 0,
          failed: 0,
          invalid: 2,
          queued: 0,
        },
        errors: 2,
      });
      // Before it: exactly the N events, in order, and nothing else (the two
      // invalid events left no line).
      assertEventLines(out.slice(0, start), makeEvents(n), `child ${stream}`);
      assert.ok(
        !result[other].includes('"call_id"'),
        `an event went to ${other}: ${result[other].slice(0, 300)}`,
      );
    });

    /**
     * Runs the child in `mode` (an exit without close()) while the parent
     * stops reading its stream for a while, and asserts that every line
     * arrived.
     */
    async function exitCase(mode: string): Promise<void> {
      // About 4 MB: more than a pipe or socket buffer holds, so lines the
      // child does not write synchronously before it ends are lost.
      const n = 20_000;
      let held = false;
      const result = await runChild(
        CHILD,
        [stream, String(n), mode],
        (_chunk, child) => {
          if (held) return;
          held = true;
          stopReadingAWhile(child, stream);
        },
      );
      assert.equal(
        result.code,
        0,
        `child (${runtime}, ${mode}) exited with ${result.code}/${result.signal}: ${
          result.stderr.slice(-2000)
        }`,
      );
      if (stream === "stderr") assert.equal(result.stdout, `${MARKER} start\n`);
      assertEventLines(
        result[stream],
        makeEvents(n),
        `child ${stream} (${mode})`,
      );
    }

    test(`a reader that went away (EPIPE): failed writes counted, onError told once, close() settles`, async () => {
      const child = spawn(
        process.execPath,
        runtime === "deno"
          ? ["run", "--allow-all", CHILD, stream, "2000", "broken-pipe"]
          : [CHILD, stream, "2000", "broken-pipe"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      // Close the read end of the audit stream at once.
      child[stream]!.destroy();
      let report = "";
      child[other]!.setEncoding("utf8").on("data", (c) => report += c);
      const [code, signal] = await once(child, "close");
      assert.equal(code, 0, `${code}/${signal}: ${report.slice(-2000)}`);
      const line = report.split("\n").find((l) => l.startsWith(MARKER));
      assert.ok(line, `no report from the child: ${report.slice(-2000)}`);
      const { stats, errors } = JSON.parse(line.slice(MARKER.length + 1));
      assert.equal(stats.queued, 0);
      assert.equal(stats.written, 0);
      assert.equal(stats.accepted, stats.failed);
      assert.ok(stats.failed > 0, JSON.stringify(stats));
      assert.equal(stats.accepted + stats.dropped + stats.invalid, 4000);
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(errors[0], /EPIPE|broken pipe/i);
    });

    const exit = runtime === "deno" ? "Deno.exit(0)" : "process.exit(0)";

    test(`${exit} right after 20,000 onCall, without close(): all lines arrive`, () =>
      exitCase("exit"));

    test(`${exit} while a batch is on its way to ${stream}, without close(): all lines arrive, in order`, () =>
      exitCase("exit-in-flight"));
  });
}
