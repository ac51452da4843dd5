// `calltrail tail`, run as a child process (and its line format and colour
// rules, in this process).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CallEvent, parseCallEvent } from "../../mod.ts";
import { format } from "../../cli/tail_command.ts";
import { useColour } from "../../cli/_text.ts";
import { runChild, sampleEvent, tick, withTempDir } from "../_helpers.ts";
import { CLI, cli, shown, trailLines, writeLog } from "./_cli.ts";

/** The tool of each line tail printed (its third field). */
function printedTools(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l !== "").map((l) =>
    l.split(/ {2}/)[2]
  );
}

describe("calltrail tail", () => {
  test("prints one readable line per event; bad lines are counted on stderr", async () => {
    await withTempDir(async (dir) => {
      const lines = trailLines(200);
      const path = await writeLog(dir.path, "a.jsonl", [
        ...lines.slice(0, 100),
        "oops",
        ...lines.slice(100),
      ]);
      const child = await cli("tail", path);
      assert.equal(child.code, 0, shown(child));
      const printed = child.stdout.split("\n").slice(0, -1);
      assert.equal(printed.length, 200);
      const events = lines.map(parseCallEvent);
      assert.deepEqual(printed, events.map((e) => format(e, false)));
      assert.match(
        printed[0],
        /^2026-05-29T06:0\d:\d\d\.\d{3}Z {2}\w+ +ref:[\w.]+ {2}agent-\w+ {2}\d+ ms/,
      );
      assert.match(
        child.stderr,
        /line 101 skipped: calltrail: cannot read the audit line: it is not JSON/,
      );
      assert.match(
        child.stderr,
        /1 line was not a valid event, and was skipped\./,
      );
      assert.equal(child.stdout.includes("\x1b["), false, "no colour");
    });
  });

  test("-n N prints the last N matching events; --tool, --caller and --outcome filter (each repeatable)", async () => {
    await withTempDir(async (dir) => {
      const lines = trailLines(2000);
      const events = lines.map(parseCallEvent);
      const path = await writeLog(dir.path, "a.jsonl", lines);
      const last = await cli("tail", "-n", "3", path);
      assert.deepEqual(
        last.stdout.split("\n").slice(0, -1),
        events.slice(-3).map((e) => format(e, false)),
      );
      const zero = await cli("tail", "-n", "0", path);
      assert.equal(zero.stdout, "");
      const match = (e: CallEvent) =>
        ["ref:fs.read", "ref:http.fetch"].includes(e.tool_id) &&
        ["capability_denied", "execution_failed"].includes(e.outcome.kind);
      const filtered = await cli(
        "tail",
        "--tool",
        "ref:fs.read",
        "--tool",
        "ref:http.fetch",
        "--outcome",
        "capability_denied",
        "--outcome",
        "execution_failed",
        path,
      );
      const expected = events.filter(match);
      assert.ok(expected.length > 3);
      assert.deepEqual(
        filtered.stdout.split("\n").slice(0, -1),
        expected.map((e) => format(e, false)),
      );
      const caller = events[0].caller_id!;
      const byCaller = await cli("tail", "-n", "2", "--caller", caller, path);
      assert.deepEqual(
        byCaller.stdout.split("\n").slice(0, -1),
        events.filter((e) => e.caller_id === caller).slice(-2).map((e) =>
          format(e, false)
        ),
      );
    });
  });

  test("shows control characters and bidirectional overrides from the log as escapes", () => {
    const event = sampleEvent({
      tool_id: "ref:\x1b[2Jevil",
      outcome: { kind: "invalid_args", message: "line\nbreak \u202e" },
    });
    const line = format(event, false);
    assert.equal(line.includes("\x1b"), false);
    assert.match(line, /ref:\\u001b\[2Jevil/);
    assert.match(line, /"line\\nbreak \\u202e"/);
  });

  test("colour only on a TTY, and never with NO_COLOR", () => {
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      assert.equal(useColour({ isTTY: true }), true);
      assert.equal(useColour({ isTTY: false }), false);
      assert.equal(useColour({}), false);
      process.env.NO_COLOR = "1";
      assert.equal(useColour({ isTTY: true }), false);
      process.env.NO_COLOR = "";
      assert.equal(useColour({ isTTY: true }), true);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
    assert.ok(format(sampleEvent(), true).includes("\x1b[32msuccess"));
  });

  test("-f follows the file as it grows, and across a truncation and a rotation", async () => {
    await withTempDir(async (dir) => {
      const lines = trailLines(30);
      const path = await writeLog(dir.path, "live.jsonl", lines.slice(0, 2));
      let out = "";
      let err = "";
      let kill = (): void => {};
      const running = runChild(
        CLI,
        ["tail", "-f", "-n", "1", path],
        (chunk, child) => {
          out += chunk;
          kill = () => child.kill("SIGTERM");
        },
      );
      const seen = async (count: number) => {
        for (let i = 0; i < 400 && printedTools(out).length < count; i++) {
          await tick(25);
        }
        return printedTools(out).length;
      };
      try {
        assert.equal(await seen(1), 1, out);
        // Appended lines, one of them in two writes (a line not yet whole).
        await appendFile(path, `${lines[2]}\n${lines[3].slice(0, 40)}`);
        await tick(300);
        await appendFile(path, `${lines[3].slice(40)}\n`);
        assert.equal(await seen(3), 3, out);
        // Truncated, then written again: read from its start.
        await writeFile(path, `${lines[4]}\n`);
        assert.equal(await seen(4), 4, out);
        // Rotated: renamed away (with a last line), a new file in its place.
        await appendFile(path, `${lines[5]}\n`);
        await rename(path, `${path}.1`);
        await writeFile(path, `${lines[6]}\n`);
        assert.equal(await seen(6), 6, out);
      } finally {
        kill();
        const result = await running;
        err = result.stderr;
      }
      const expected = [1, 2, 3, 4, 5, 6].map((i) =>
        format(parseCallEvent(lines[i]), false)
      );
      assert.deepEqual(out.split("\n").slice(0, -1), expected, err);
      assert.match(err, /it was truncated; reading it from its start/);
      assert.match(
        err,
        /it was replaced \(rotated\); reading it from its start/,
      );
    });
  });

  test("usage errors exit 2", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(dir.path, "a.jsonl", []);
      const cases = [
        [["tail", path, path], /name one log file/],
        [
          ["tail", "--outcome", "boom", path],
          /no outcome kind "boom"; the kinds are success, /,
        ],
        [["tail", "-n", "x", path], /-n takes a whole number, not "x"/],
        [["tail", join(dir.path, "none")], /no such file/],
      ] as const;
      const children = await Promise.all(cases.map(([args]) => cli(...args)));
      children.forEach((child, i) => {
        assert.equal(child.code, 2, shown(child));
        assert.match(child.stderr, cases[i][1]);
      });
    });
  });
});
