import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseCallEvent, serializeCallEvent } from "../mod.ts";
import { readVectors, writeVectors } from "./_vectors.ts";

describe("parseCallEvent", () => {
  test("has the read vectors", () => {
    assert.ok(readVectors.length >= 6);
  });
  for (const vector of readVectors) {
    if (vector.ok) {
      test(`accepts: ${vector.name}`, () => {
        const event = parseCallEvent(vector.line);
        const raw = JSON.parse(vector.line);
        assert.equal(event.call_id, raw.call_id);
        assert.equal(event.ts, raw.ts);
        assert.equal(event.schema_version, raw.schema_version);
        assert.equal(event.secrets_resolved, raw.secrets_resolved ?? false);
        assert.deepEqual(event.outcome, raw.outcome);
      });
    } else {
      test(`rejects: ${vector.name}`, () => {
        assert.throws(() => parseCallEvent(vector.line), (error: Error) => {
          if (vector.field === undefined) {
            assert.ok(
              error instanceof SyntaxError,
              `a SyntaxError, got ${error}`,
            );
          } else {
            assert.ok(error instanceof TypeError, `a TypeError, got ${error}`);
            assert.ok(
              error.message.includes(`"${vector.field}`),
              `"${error.message}" names ${vector.field}`,
            );
          }
          return true;
        });
      });
    }
  }

  for (const vector of writeVectors) {
    test(`reads back what the writer wrote: ${vector.name}`, () => {
      const event = parseCallEvent(vector.line);
      assert.equal(serializeCallEvent(event), vector.line);
      // Only the wire keys: the vector's extra properties are not invented.
      const expected = JSON.parse(vector.line);
      assert.deepEqual(event, expected);
    });
  }

  test("accepts a trailing newline", () => {
    const line = writeVectors[0].line;
    assert.deepEqual(parseCallEvent(`${line}\n`), parseCallEvent(line));
  });

  test("ignores unknown keys (forward compatibility)", () => {
    const raw = JSON.parse(writeVectors[0].line);
    raw.future_field = { anything: true };
    raw.outcome.detail = "later";
    const event = parseCallEvent(JSON.stringify(raw));
    assert.equal("future_field" in event, false);
    assert.deepEqual(event.outcome, { kind: "success" });
  });

  test("leaves absent optional keys absent", () => {
    const event = parseCallEvent(
      writeVectors.find((v) => v.name === "no caller_id")!.line,
    );
    assert.equal("caller_id" in event, false);
    assert.equal("cursor_page" in event, false);
    assert.equal("capability_provenance" in event, false);
  });

  test("accepts RFC 3339 times with offsets and 0 to 9 fraction digits", () => {
    const raw = JSON.parse(writeVectors[0].line);
    for (
      const ts of [
        "2026-05-29T10:00:00Z",
        "2026-05-29T10:00:00.1Z",
        "2026-05-29T10:00:00.123456789Z",
        "2026-05-29T10:00:00+00:00",
        "2026-05-29T12:00:00.5+02:00",
        "2026-05-29t10:00:00z",
        "2016-12-31T23:59:60Z",
      ]
    ) {
      assert.equal(parseCallEvent(JSON.stringify({ ...raw, ts })).ts, ts);
    }
    for (
      const ts of [
        "2026-05-29T10:00:00",
        "2026-05-29 10:00:00Z",
        "2026-05-29T10:00:00.1234567890Z",
        "2026-05-29T24:00:00Z",
        "2026-02-30X10:00:00Z",
        "",
      ]
    ) {
      assert.throws(
        () => parseCallEvent(JSON.stringify({ ...raw, ts })),
        /"ts"/,
        ts,
      );
    }
  });

  test("accepts schema versions 1 to 3 only", () => {
    const raw = JSON.parse(writeVectors[0].line);
    for (const version of [1, 2, 3]) {
      const line = JSON.stringify({ ...raw, schema_version: version });
      assert.equal(parseCallEvent(line).schema_version, version);
    }
    for (const version of [0, 4, "3", null]) {
      const line = JSON.stringify({ ...raw, schema_version: version });
      assert.throws(() => parseCallEvent(line), /"schema_version"/);
    }
  });

  test("rejects null for an optional key, naming it", () => {
    const raw = JSON.parse(writeVectors[0].line);
    assert.throws(
      () => parseCallEvent(JSON.stringify({ ...raw, caller_id: null })),
      /"caller_id"/,
    );
  });

  test("names nested fields by their path", () => {
    const provenance = writeVectors.find((v) => v.name === "provenance")!;
    const raw = JSON.parse(provenance.line);
    raw.capability_provenance[1].source.chain_depth = 300;
    assert.throws(
      () => parseCallEvent(JSON.stringify(raw)),
      /"capability_provenance\[1\]\.source\.chain_depth"/,
    );
  });

  test("rejects JSON that is not an object", () => {
    for (const line of ["null", "42", '"line"', "[]"]) {
      assert.throws(() => parseCallEvent(line), TypeError, line);
    }
  });
});
