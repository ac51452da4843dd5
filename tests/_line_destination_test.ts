// Where a sink's batches go: a stream from lineStream carries its
// destination to the sink, any other stream is written as UTF-8 chunks.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Batch,
  type BatchFailure,
  destinationOf,
  type LineDestination,
  lineStream,
} from "../_line_destination.ts";
import { collector } from "./_helpers.ts";

/** A destination that keeps its batches and answers with `answer`. */
function keeper(answer?: BatchFailure) {
  const batches: Batch[] = [];
  const destination: LineDestination = {
    write: (batch) => {
      batches.push(batch);
      return answer;
    },
    close: () => {},
    release: () => {},
    abort: () => {},
  };
  return { batches, destination };
}

describe("lineStream and destinationOf", () => {
  test("a sink is given the destination a lineStream carries, not a wrapper", () => {
    const { destination } = keeper();
    const stream = lineStream(destination);
    assert.ok(stream instanceof WritableStream);
    assert.equal(destinationOf(stream), destination);
    assert.equal(stream.locked, false);
  });

  test("written as a plain stream, a lineStream decodes chunks into batches", async () => {
    const { batches, destination } = keeper();
    const writer = lineStream(destination).getWriter();
    const bytes = new TextEncoder().encode("é\n€\n");
    await writer.write(bytes.subarray(0, 1)); // half of "é"
    await writer.write(bytes.subarray(1));
    assert.deepEqual(batches.map((b) => [b.text, b.count]), [
      ["", 0],
      ["é\n€\n", 2],
    ]);
  });

  test("written as a plain stream, a batch that fails rejects the write", async () => {
    const error = new Error("refused");
    const { destination } = keeper({ failed: 1, error });
    const writer = lineStream(destination).getWriter();
    await assert.rejects(writer.write(new TextEncoder().encode("a\n")), error);
  });

  test("any other stream gets each batch as one UTF-8 chunk", async () => {
    const out = collector();
    const destination = destinationOf(out.stream);
    assert.equal(out.stream.locked, true, "its writer is taken");
    await destination.write({ text: "a\nb\n", count: 2 });
    assert.equal(out.chunks.length, 1);
    assert.equal(out.text(), "a\nb\n");
    destination.release();
    assert.equal(out.stream.locked, false);
  });

  test("a locked stream, or what is not a stream, is refused with a clear error", () => {
    const stream = new WritableStream();
    stream.getWriter();
    assert.throws(() => destinationOf(stream), /locked by another writer/);
    assert.throws(
      () => destinationOf(42 as never),
      /needs a WritableStream<Uint8Array> destination, got 42/,
    );
  });
});
