// `calltrail stats` (and the CLI's dispatch), run as a child process.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCallEvent } from "../../mod.ts";
import { withTempDir } from "../_helpers.ts";
import { readVectors } from "../_vectors.ts";
import { cli, shown, trailLines, vectorLines, writeLog } from "./_cli.ts";
import { referenceStats } from "./_reference_stats.ts";

describe("calltrail stats", () => {
  test("--json: the SPEC's shape and numbers, bad and torn lines counted, over several files", async () => {
    await withTempDir(async (dir) => {
      const lines = trailLines(3000);
      const a = await writeLog(dir.path, "a.jsonl", [
        ...lines.slice(0, 1000),
        "not json",
        ...lines.slice(1000, 2000),
      ]);
      const b = await writeLog(
        dir.path,
        "b.jsonl",
        lines.slice(2000),
        lines[0].slice(0, 60),
      );
      const child = await cli("stats", "--json", a, b);
      assert.equal(child.code, 0, shown(child));
      const expected = referenceStats(lines.map(parseCallEvent), 1, 1);
      assert.deepEqual(
        JSON.parse(child.stdout),
        JSON.parse(JSON.stringify(expected)),
      );
    });
  });

  test("--json on the shared vectors and Rust-written lines: times of any offset, as they stand", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(dir.path, "v.jsonl", vectorLines);
      const child = await cli("stats", "--json", path);
      assert.equal(child.code, 0, shown(child));
      const events = readVectors.filter((v) => v.ok).map((v) =>
        parseCallEvent(v.line)
      );
      const stats = JSON.parse(child.stdout);
      assert.deepEqual(
        stats,
        JSON.parse(JSON.stringify(referenceStats(events, 3, 0))),
      );
      assert.equal(stats.first_ts, "2026-04-24T08:00:00+00:00");
      assert.equal(stats.last_ts, "2026-05-29T10:00:00.123456789+00:00");
    });
  });

  test("prints a readable summary, without colour on a pipe", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(dir.path, "a.jsonl", trailLines(500), "{");
      const child = await cli("stats", path);
      assert.equal(child.code, 0, shown(child));
      assert.match(
        child.stdout,
        /^500 calls from 2026-05-29T06:\d\d:\d\d\.\d{3}Z to /,
      );
      assert.match(child.stdout, /invalid lines: 0, torn lines: 1/);
      assert.match(child.stdout, /^outcome +calls +%$/m);
      assert.match(
        child.stdout,
        /^tool +calls +p50 ms +p95 ms +p99 ms +max ms +not success$/m,
      );
      assert.match(child.stdout, /^ref:fs\.read +\d+/m);
      assert.match(child.stdout, /^caller \(top 10 of \d+\) +calls$/m);
      assert.equal(child.stdout.includes("\x1b["), false, "no colour");
      assert.equal(child.stderr, "");
    });
  });

  test("an empty log has no calls", async () => {
    await withTempDir(async (dir) => {
      const path = await writeLog(dir.path, "empty.jsonl", []);
      const child = await cli("stats", "--json", path);
      assert.equal(child.code, 0, shown(child));
      assert.deepEqual(JSON.parse(child.stdout), {
        calls: 0,
        invalid_lines: 0,
        torn_lines: 0,
        first_ts: null,
        last_ts: null,
        by_outcome: {},
        by_tool: {},
        by_caller: {},
        denied_capabilities: {},
      });
    });
  });

  test("usage errors and unreadable files exit 2; --help exits 0", async () => {
    await withTempDir(async (dir) => {
      const cases = [
        [
          ["stats"],
          /calltrail stats: name a log file\.\nRun calltrail stats --help/,
        ],
        [["stats", "--top", "x", "a"], /--top takes a whole number, not "x"/],
        [["stats", dir.path], /cannot read ".*": it is a directory/],
        [
          ["stats", "--json", "missing.jsonl"],
          /cannot read "missing\.jsonl": no such file/,
        ],
        [[], /calltrail: name a command: stats, tail, verify or report/],
        [
          ["count"],
          /no command "count"; the commands are stats, tail, verify and report/,
        ],
      ] as const;
      const children = await Promise.all(cases.map(([args]) => cli(...args)));
      children.forEach((child, i) => {
        assert.equal(child.code, 2, shown(child));
        assert.match(child.stderr, cases[i][1]);
        assert.equal(child.stdout, "");
      });
      const helps = await Promise.all(
        [["stats", "--help"], ["stats", "-h"], ["--help"]].map((args) =>
          cli(...args)
        ),
      );
      for (const child of helps) {
        assert.equal(child.code, 0, shown(child));
        assert.match(child.stdout, /^Usage: calltrail /);
      }
    });
  });
});
