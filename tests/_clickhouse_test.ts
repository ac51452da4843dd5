// The ClickHouse harness (tests/_clickhouse.ts, tests/_clickhouse_table.ts)
// against a real server: it starts, takes calltrail's lines as JSON Lines
// over HTTP (plain and gzip), gives back every field, refuses a schema error
// with 500, keeps its data across a restart, and is gone after a stop.
//
// The tests run in order and share one server; the last one destroys it (an
// exit hook kills the server if the test process ends first). Skipped, with
// the reason, where no ClickHouse is installed.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CallEvent, parseCallEvent, serializeCallEvent } from "../mod.ts";
import {
  type ClickHouse,
  CLICKHOUSE_MISSING,
  startClickHouse,
} from "./_clickhouse.ts";
import {
  calltrailTableDdl,
  INSERT_SETTINGS,
  insertUrl,
  queryEvents,
  storedPart,
} from "./_clickhouse_table.ts";
import { SPEC_EVENT, SPEC_LINE } from "./_spec_example.ts";
import { writeVectors } from "./_vectors.ts";

/**
 * Each test's options: a limit (bun test would stop a test after 5 s), not a
 * timing; and skipped, with the reason, where no ClickHouse is installed (on
 * each test, so that the runners count the skips).
 */
const SERVER_TEST = { timeout: 60_000, skip: CLICKHOUSE_MISSING };

const SPEC_CALL_ID = SPEC_EVENT.call_id;

/** `line` with the call id `callId` (the vectors all share the spec's). */
function withCallId(line: string, callId: string): string {
  const from = `"call_id":${JSON.stringify(SPEC_CALL_ID)}`;
  assert.ok(
    line.includes(from),
    `a vector without the spec's call id: ${line}`,
  );
  return line.replace(from, `"call_id":${JSON.stringify(callId)}`);
}

/** A 26-character call id, distinct for each `prefix` and `n`. */
function callId(prefix: string, n: number): string {
  return `01J${prefix}`.padEnd(23, "0") + String(n).padStart(3, "0");
}

/** The body of a POST: whole lines, each ended by "\n". */
function jsonLines(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function post(
  url: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "ESRCH") return false;
    throw error;
  }
}

function byCallId(events: CallEvent[]): Map<string, CallEvent> {
  const map = new Map<string, CallEvent>();
  for (const event of events) {
    assert.ok(!map.has(event.call_id), `${event.call_id} stored twice`);
    map.set(event.call_id, event);
  }
  return map;
}

describe("a throwaway ClickHouse", () => {
  let started: Promise<ClickHouse> | undefined;
  const server = (): Promise<ClickHouse> => started ??= startClickHouse();

  /** The lines inserted so far, by call id, and the events they encode. */
  const inserted = new Map<string, { line: string; event: CallEvent }>();

  /** Every inserted line is stored once, with all its fields. */
  async function assertStoredExactly(clickHouse: ClickHouse): Promise<void> {
    const stored = byCallId(await queryEvents(clickHouse));
    assert.deepEqual([...stored.keys()].sort(), [...inserted.keys()].sort());
    for (const [id, { line, event }] of inserted) {
      const back = stored.get(id)!;
      assert.deepEqual(back, storedPart(event), `the event of ${line}`);
      if (event.capability_provenance === undefined) {
        assert.equal(serializeCallEvent(back), line, "the line, byte for byte");
      }
    }
  }

  test(
    "starts on 127.0.0.1 with its files in one directory",
    SERVER_TEST,
    async () => {
      const clickHouse = await server();
      assert.match(clickHouse.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await clickHouse.query("SELECT 1"), "1\n");
      for (const sub of ["config.xml", "data", "logs/server.log"]) {
        assert.ok(existsSync(join(clickHouse.dir, sub)), `${sub} in the dir`);
      }
      // The settings the insert relies on exist on this server.
      const settings = await clickHouse.query(
        "SELECT name FROM system.settings WHERE name IN (" +
          Object.keys(INSERT_SETTINGS).map((name) => `'${name}'`).join(", ") +
          ") ORDER BY name",
      );
      assert.equal(
        settings,
        Object.keys(INSERT_SETTINGS).sort().join("\n") + "\n",
      );
    },
  );

  test("the README gives the DDL and the insert settings the tests use", async () => {
    const readme = await readFile(
      new URL("../README.md", import.meta.url),
      "utf8",
    );
    const ddl = /```sql\n(CREATE TABLE calltrail\n[\s\S]*?)\n```/.exec(readme)
      ?.[1];
    assert.equal(ddl?.trim(), calltrailTableDdl());
    for (const [name, value] of Object.entries(INSERT_SETTINGS)) {
      assert.ok(readme.includes(`${name}: "${value}"`), name);
    }
  });

  test("creates the table from its DDL", SERVER_TEST, async () => {
    const clickHouse = await server();
    await clickHouse.query(calltrailTableDdl());
    assert.equal(
      await clickHouse.query("SELECT count() FROM calltrail"),
      "0\n",
    );
  });

  test(
    "stores the spec's line and every write vector with all fields",
    SERVER_TEST,
    async () => {
      const clickHouse = await server();
      const lines = [
        withCallId(SPEC_LINE, callId("SPEC", 0)),
        ...writeVectors.map((vector, i) =>
          withCallId(vector.line, callId("V", i))
        ),
      ];
      const { status, text } = await post(
        insertUrl(clickHouse.url),
        jsonLines(lines),
      );
      assert.deepEqual({ status, text }, { status: 200, text: "" });
      for (const line of lines) {
        const event = parseCallEvent(line);
        inserted.set(event.call_id, { line, event });
      }
      assert.ok(
        writeVectors.some((vector) =>
          vector.line.includes("capability_provenance")
        ),
        "a vector with capability_provenance (not stored, and skipped)",
      );
      await assertStoredExactly(clickHouse);
      // The time columns computed from ts.
      assert.equal(
        await clickHouse.query(
          `SELECT time, time_ms FROM calltrail WHERE call_id = '${
            callId("SPEC", 0)
          }' FORMAT TSV`,
        ),
        "2026-05-29 10:00:00\t123\n",
      );
    },
  );

  test("takes a gzip body (content-encoding: gzip)", SERVER_TEST, async () => {
    const clickHouse = await server();
    const lines = writeVectors.map((vector, i) =>
      withCallId(vector.line, callId("GZ", i))
    );
    const body = await gzip(jsonLines(lines));
    assert.deepEqual([body[0], body[1]], [0x1f, 0x8b], "a gzip body");
    const { status, text } = await post(insertUrl(clickHouse.url), body, {
      "content-encoding": "gzip",
    });
    assert.deepEqual({ status, text }, { status: 200, text: "" });
    for (const line of lines) {
      const event = parseCallEvent(line);
      inserted.set(event.call_id, { line, event });
    }
    await assertStoredExactly(clickHouse);
  });

  test(
    "refuses a schema error with 500 and stores none of its batch",
    SERVER_TEST,
    async () => {
      const clickHouse = await server();
      // Without input_format_skip_unknown_fields, capability_provenance is an
      // unknown field; the good line before it is refused with it.
      const good = withCallId(SPEC_LINE, callId("BAD", 0));
      const withProvenance = writeVectors.find((vector) =>
        vector.line.includes("capability_provenance")
      )!;
      const bad = withCallId(withProvenance.line, callId("BAD", 1));
      const strict = insertUrl(clickHouse.url, "calltrail", {
        input_format_import_nested_json: "1",
      });
      const { status, text } = await post(strict, jsonLines([good, bad]));
      assert.equal(status, 500);
      assert.match(
        text,
        /^Code: 117, e\.displayText\(\) = DB::Exception: Unknown field found while parsing JSONEachRow format: capability_provenance/,
      );
      // A missing table is 404; a wrong type is 500 too.
      const noTable = await post(
        insertUrl(clickHouse.url, "nope"),
        good + "\n",
      );
      assert.equal(noTable.status, 404, noTable.text);
      const wrongType = await post(
        insertUrl(clickHouse.url),
        good.replace('"duration_ms":17', '"duration_ms":"soon"') + "\n",
      );
      assert.equal(wrongType.status, 500, wrongType.text);
      await assertStoredExactly(clickHouse);
    },
  );

  test(
    "keeps what it accepted across a restart, on the same port",
    SERVER_TEST,
    async () => {
      const clickHouse = await server();
      const before = clickHouse.pid();
      await clickHouse.restart();
      assert.notEqual(clickHouse.pid(), before);
      assert.equal(processExists(before), false, "the old server is gone");
      await assertStoredExactly(clickHouse);
      // And it takes new lines.
      const line = withCallId(SPEC_LINE, callId("AFTER", 0));
      const { status } = await post(insertUrl(clickHouse.url), line + "\n");
      assert.equal(status, 200);
      inserted.set(callId("AFTER", 0), { line, event: parseCallEvent(line) });
      await assertStoredExactly(clickHouse);
    },
  );

  test(
    "keeps what it accepted across a crash (SIGKILL)",
    SERVER_TEST,
    async () => {
      const clickHouse = await server();
      await clickHouse.stop("SIGKILL");
      await clickHouse.restart();
      await assertStoredExactly(clickHouse);
    },
  );

  test("stops by pid, and its directory goes", SERVER_TEST, async () => {
    const clickHouse = await server();
    const pid = clickHouse.pid();
    await clickHouse.stop();
    assert.equal(processExists(pid), false, "the server process is gone");
    await assert.rejects(fetch(`${clickHouse.url}/ping`));
    await clickHouse.destroy();
    assert.equal(existsSync(clickHouse.dir), false);
  });
});
