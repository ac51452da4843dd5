import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import {
  type CallEvent,
  type CallEventSource,
  parseCallEvent,
  readCallEvents,
  type ReadCallEventsOptions,
  serializeCallEvent,
} from "../mod.ts";
import { readVectors, writeVectors } from "./_vectors.ts";
import { sampleEvent, withTempDir } from "./_helpers.ts";
import { callEventArb } from "./_arbitraries.ts";

const encoder = new TextEncoder();

/** What a read produced: the events, and each bad line's number and error. */
interface Read {
  events: CallEvent[];
  bad: { line: number; name: string; message: string }[];
}

async function read(
  source: CallEventSource,
  options: Omit<ReadCallEventsOptions, "onInvalid"> = {},
): Promise<Read> {
  const bad: Read["bad"] = [];
  const events: CallEvent[] = [];
  for await (
    const event of readCallEvents(source, {
      ...options,
      onInvalid: (line, error) =>
        void bad.push({ line, name: error.name, message: error.message }),
    })
  ) {
    events.push(event);
  }
  return { events, bad };
}

/** A stream of `text`'s UTF-8 bytes cut at `cuts` (byte offsets). */
function bytesStream(text: string, cuts: number[] = []): ReadableStream {
  const bytes = encoder.encode(text);
  const points = [
    0,
    ...cuts.filter((c) => c > 0 && c < bytes.length),
    bytes.length,
  ]
    .sort((a, b) => a - b);
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i + 1 >= points.length) return controller.close();
      controller.enqueue(bytes.slice(points[i], points[i + 1]));
      i++;
    },
  });
}

async function* strings(...chunks: string[]): AsyncGenerator<string> {
  yield* chunks;
}

const good = writeVectors.map((v) => v.line);

describe("readCallEvents", () => {
  test("reads the shared vectors: valid lines as events, the others reported by number", async () => {
    const text = readVectors.map((v) => `${v.line}\n`).join("");
    const { events, bad } = await read(bytesStream(text));
    const expected = readVectors.flatMap((v, i) =>
      v.ok ? [{ i, event: parseCallEvent(v.line) }] : []
    );
    assert.deepEqual(events, expected.map((e) => e.event));
    assert.deepEqual(
      bad.map((b) => b.line),
      readVectors.flatMap((v, i) => v.ok ? [] : [i + 1]),
    );
    for (const b of bad) {
      const vector = readVectors[b.line - 1];
      if (vector.field !== undefined) {
        assert.match(b.message, new RegExp(`"${vector.field}`), vector.name);
      } else {
        assert.equal(b.name, "SyntaxError", vector.name);
      }
    }
  });

  test("reads a Rust-written log of schema versions 1 to 3 (offsets, nanoseconds, no secrets_resolved)", async () => {
    const rust = readVectors.filter((v) => v.ok);
    assert.ok(rust.some((v) => JSON.parse(v.line).schema_version === 1));
    const { events, bad } = await read(
      strings(rust.map((v) => `${v.line}\n`).join("")),
    );
    assert.deepEqual(bad, []);
    assert.deepEqual(events.map((e) => e.schema_version), [3, 2, 1]);
    assert.equal(events[2].secrets_resolved, false);
    assert.equal(events[0].ts, "2026-05-29T10:00:00.123456789+00:00");
  });

  test("reads back every line the writer wrote (write vectors)", async () => {
    const { events, bad } = await read(
      bytesStream(good.map((l) => `${l}\n`).join("")),
    );
    assert.deepEqual(bad, []);
    assert.deepEqual(events.map(serializeCallEvent), good);
  });

  test("a torn last line is reported as TornLineError with its number", async () => {
    const torn = good[1].slice(0, 40);
    const { events, bad } = await read(bytesStream(`${good[0]}\n${torn}`));
    assert.equal(events.length, 1);
    assert.equal(bad.length, 1);
    assert.equal(bad[0].line, 2);
    assert.equal(bad[0].name, "TornLineError");
    assert.match(bad[0].message, /^calltrail: line 2 is torn/);
  });

  test("a torn line cut inside a UTF-8 character is torn too", async () => {
    const line = serializeCallEvent(sampleEvent({ tool_id: "ref:é€😀" }));
    const bytes = encoder.encode(`${good[0]}\n${line}`);
    const cut = bytes.length - line.length + line.indexOf("😀") + 2;
    const torn = await read(
      (async function* () {
        yield bytes.slice(0, cut);
      })(),
    );
    assert.equal(torn.events.length, 1);
    assert.deepEqual(torn.bad.map((b) => [b.line, b.name]), [[
      2,
      "TornLineError",
    ]]);
  });

  test("a last line without a newline that parses is an event", async () => {
    const { events, bad } = await read(strings(`${good[0]}\n`, good[1]));
    assert.deepEqual(bad, []);
    assert.deepEqual(events.map(serializeCallEvent), [good[0], good[1]]);
  });

  test("a bad line that is not last, even without JSON, is invalid, not torn", async () => {
    const { bad } = await read(
      strings(`${good[0].slice(0, 30)}\n${good[1]}\n`),
    );
    assert.deepEqual(bad.map((b) => [b.line, b.name]), [[1, "SyntaxError"]]);
  });

  test("blank lines, a byte-order mark and bytes that are not UTF-8 are invalid lines", async () => {
    const parts = [
      encoder.encode(`${good[0]}\n\n`),
      encoder.encode(`\uFEFF${good[0]}\n`),
      encoder.encode('{"tool_id":"'),
      new Uint8Array([0xff, 0xfe]),
      encoder.encode(`"}\n${good[0]}\n`),
    ];
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    // An empty source has no line at all.
    for (const source of [() => strings(), () => bytesStream("")]) {
      assert.deepEqual(await read(source()), { events: [], bad: [] });
    }
    const { events, bad } = await read(
      (async function* () {
        yield joined;
      })(),
    );
    assert.equal(events.length, 2);
    assert.deepEqual(bad.map((b) => b.line), [2, 3, 4]);
    assert.match(bad[2].message, /not UTF-8/);
  });

  test("with strict, the first bad line throws, naming its number, after the events before it", async () => {
    const events: CallEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (
          const event of readCallEvents(
            strings(`${good[0]}\n${good[1]}\nnot json\n${good[2]}\n`),
            { strict: true, onInvalid: () => assert.fail("not called") },
          )
        ) {
          events.push(event);
        }
      })(),
      /^Error: calltrail: line 3 of the audit log is not a valid event: calltrail: cannot read the audit line: it is not JSON/,
    );
    assert.equal(events.length, 2);
  });

  test("with strict, a torn last line throws a TornLineError", async () => {
    await assert.rejects(
      (async () => {
        for await (
          const _ of readCallEvents(strings(`${good[0]}\n{"ts"`), {
            strict: true,
          })
        );
      })(),
      (error: Error) => error.name === "TornLineError",
    );
  });

  test("a line longer than maxLineBytes is skipped without being held, and the next lines are read", async () => {
    const long = `${good[0].slice(0, -1)},"pad":"${"x".repeat(5000)}"}`;
    for (const size of [7, 100, 100_000]) {
      const text = `${good[0]}\n${long}\n${good[1]}\n${long}`;
      const cuts = Array.from(
        { length: Math.ceil(text.length / size) },
        (_, i) => i * size,
      );
      const { events, bad } = await read(bytesStream(text, cuts), {
        maxLineBytes: 1000,
      });
      assert.deepEqual(events.map(serializeCallEvent), [good[0], good[1]]);
      assert.deepEqual(bad.map((b) => [b.line, b.name]), [
        [2, "RangeError"],
        [4, "RangeError"],
      ], `chunks of ${size}`);
    }
    // Without the limit, the same long line is read.
    const { events } = await read(strings(`${long}\n`));
    assert.equal(events.length, 1);
  });

  test("rejects a maxLineBytes that is not a number >= 1", async () => {
    await assert.rejects(
      readCallEvents(strings(), { maxLineBytes: 0 }).next(),
      /maxLineBytes must be a number >= 1, not 0/,
    );
  });

  test("leaving the loop early cancels a stream source", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encoder.encode(`${good[0]}\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of readCallEvents(stream)) break;
    assert.equal(cancelled, true);
  });

  test("an error of the source passes through", async () => {
    const failing = (async function* () {
      yield `${good[0]}\n`;
      throw new Error("disk gone");
    })();
    const events: CallEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of readCallEvents(failing)) events.push(event);
      })(),
      /disk gone/,
    );
    assert.equal(events.length, 1);
  });

  test("reads a file through node:fs's stream (an async iterable of Buffers)", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir.path, "audit.jsonl");
      await writeFile(path, good.map((l) => `${l}\n`).join("").repeat(200));
      const { events, bad } = await read(
        createReadStream(path, { highWaterMark: 1000 }),
      );
      assert.deepEqual(bad, []);
      assert.equal(events.length, good.length * 200);
    });
  });

  test("property: however the bytes are cut, the same events and the same bad lines", async () => {
    const lineArb = fc.oneof(
      { weight: 4, arbitrary: callEventArb.map(serializeCallEvent) },
      {
        weight: 1,
        arbitrary: fc.string({ unit: "binary", maxLength: 20 }).map((s) =>
          s.replaceAll("\n", " ")
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (lines, endsWithNewline, cuts) => {
          const text = lines.join("\n") +
            (endsWithNewline && lines.length > 0 ? "\n" : "");
          const whole = await read(strings(text));
          const length = encoder.encode(text).length;
          const cut = await read(
            bytesStream(text, cuts.map((c) => c % (length + 1))),
          );
          assert.deepEqual(cut, whole);
          // Each line is either an event or reported, once, in order.
          const count = text.split("\n").length -
            (text.endsWith("\n") || text === "" ? 1 : 0);
          assert.equal(whole.events.length + whole.bad.length, count);
        },
      ),
      { numRuns: 200 },
    );
  });
});
