// httpAuditSink into a real ClickHouse (Debian's clickhouse-server, started
// by the test on 127.0.0.1): every accepted event arrives exactly once, with
// the same fields, plain and gzipped; and when the server is stopped mid-run
// and started again, send() loses nothing. Skipped, with the reason, where
// no ClickHouse is installed (.ci/run installs it).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type CallEvent,
  httpAuditSink,
  nowRfc3339,
  parseCallEvent,
  serializeCallEvent,
} from "../../mod.ts";
import {
  type ClickHouse,
  CLICKHOUSE_MISSING,
  startClickHouse,
} from "../_clickhouse.ts";
import {
  calltrailTableDdl,
  insertUrl,
  queryEvents,
  storedPart,
} from "../_clickhouse_table.ts";
import { stats } from "../_helpers.ts";
import { writeVectors } from "../_vectors.ts";

/** A limit on each test (bun stops a test after 5 s), not a timing. */
const SERVER_TEST = { timeout: 120_000, skip: CLICKHOUSE_MISSING };

/** `n` events of every shape of the vectors, each with its own call id. */
function events(n: number, prefix: string): CallEvent[] {
  const ts = nowRfc3339();
  return Array.from({ length: n }, (_, i) => ({
    ...writeVectors[i % writeVectors.length].event,
    call_id: `${prefix}-${String(i).padStart(6, "0")}`,
    ts,
  }));
}

/** What the table should hold of `sent`: its lines' keys, less provenance. */
const expected = (sent: CallEvent[]) =>
  sent.map((event) => storedPart(parseCallEvent(serializeCallEvent(event))));

/** The rows of `table`, sorted by call id, as the table keeps events. */
async function rows(clickHouse: ClickHouse, table: string) {
  const read = await queryEvents(clickHouse, table);
  return read.sort((a, b) => a.call_id.localeCompare(b.call_id));
}

describe("httpAuditSink into ClickHouse", () => {
  let clickHouse: ClickHouse | undefined;
  const server = (): ClickHouse => {
    assert.ok(clickHouse, "ClickHouse is not running (see the first failure)");
    return clickHouse;
  };

  test("starts ClickHouse with calltrail's tables", SERVER_TEST, async () => {
    clickHouse = await startClickHouse();
    for (const table of ["plain", "gzipped", "restarted"]) {
      await clickHouse.query(calltrailTableDdl(table));
    }
  });

  for (const gzip of [false, true]) {
    const table = gzip ? "gzipped" : "plain";
    test(
      `every accepted event arrives once, with its fields (${table})`,
      SERVER_TEST,
      async () => {
        const errors: Error[] = [];
        const sink = httpAuditSink(insertUrl(server().url, table), {
          gzip,
          capacity: 4096,
          onError: (error) => void errors.push(error),
        });
        const sent = events(3000, table);
        for (const event of sent) await sink.send(event);
        await sink.close();
        assert.deepEqual(errors, []);
        assert.deepEqual(
          sink.stats(),
          stats({ accepted: 3000, written: 3000 }),
        );
        assert.deepEqual(await rows(server(), table), expected(sent));
      },
    );
  }

  test(
    "ClickHouse stopped mid-run and started again: send() loses nothing",
    SERVER_TEST,
    async () => {
      const sink = httpAuditSink(insertUrl(server().url, "restarted"), {
        capacity: 64,
        retry: { initialDelay: 10, maxDelay: 200 },
        onError: () => {},
      });
      const sent = events(2000, "restarted");
      const sending = (async () => {
        for (const event of sent) await sink.send(event);
      })();
      while (sink.stats().written < 500) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await server().restart();
      await sending;
      await sink.close();
      const s = sink.stats();
      assert.deepEqual(s, stats({ accepted: 2000, written: 2000 }));
      assert.deepEqual(await rows(server(), "restarted"), expected(sent));
    },
  );

  test("stops ClickHouse", SERVER_TEST, async () => {
    await clickHouse?.destroy();
    clickHouse = undefined;
  });
});
