// httpAuditSink against a scripted receiver on 127.0.0.1: batches of whole
// lines, retries (Retry-After, 503, a reset connection, a timeout), failures
// of one batch (400), 413 splits, a receiver that never answers, one that
// goes down and comes back, and the accounts after each.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type CallEvent,
  httpAuditSink,
  type HttpAuditSinkOptions,
  type JsonLinesAuditSink,
  serializeCallEvent,
} from "../../mod.ts";
import { sampleEvent, stats } from "../_helpers.ts";
import { type Receiver, startReceiver } from "./_receiver.ts";

const event = (i: number): CallEvent =>
  sampleEvent({ call_id: `call-${String(i).padStart(6, "0")}` });
const linesOf = (from: number, to: number): string[] =>
  Array.from(
    { length: to - from },
    (_, i) => serializeCallEvent(event(from + i)),
  );

/** Runs `run` with a receiver, stopped afterwards. */
async function withReceiver(run: (receiver: Receiver) => Promise<void>) {
  const receiver = await startReceiver();
  try {
    await run(receiver);
  } finally {
    await receiver.stop();
  }
}

/** Fast retries, so that the tests wait little; errors collected. */
function sinkTo(receiver: Receiver, options: HttpAuditSinkOptions = {}) {
  const errors: Error[] = [];
  const sink = httpAuditSink(receiver.url, {
    retry: { initialDelay: 1, maxDelay: 5 },
    onError: (error) => void errors.push(error),
    ...options,
  });
  return { sink, errors };
}

/** Sends events `from` to `to` with send(), then flushes. */
async function sendAll(sink: JsonLinesAuditSink, from: number, to: number) {
  for (let i = from; i < to; i++) await sink.send(event(i));
  await sink.flush();
}

describe("httpAuditSink", () => {
  test("POSTs batches of whole lines as application/x-ndjson, in order, with the given headers", () =>
    withReceiver(async (receiver) => {
      const { sink, errors } = sinkTo(receiver, {
        headers: { authorization: "Bearer t0ken" },
      });
      for (let i = 0; i < 500; i++) sink.onCall(event(i));
      await sink.close();
      assert.deepEqual(receiver.lines(), linesOf(0, 500));
      for (const request of receiver.requests) {
        assert.equal(request.method, "POST");
        assert.equal(request.headers["content-type"], "application/x-ndjson");
        assert.equal(request.headers.authorization, "Bearer t0ken");
        assert.ok(request.body.endsWith("\n"), "whole lines only");
      }
      assert.ok(
        receiver.requests.length < 10,
        "batches, not a request an event",
      );
      assert.deepEqual(sink.stats(), stats({ accepted: 500, written: 500 }));
      assert.deepEqual(errors, []);
    }));

  test("gzip: the body is compressed and says so", () =>
    withReceiver(async (receiver) => {
      const { sink } = sinkTo(receiver, { gzip: true });
      for (let i = 0; i < 200; i++) sink.onCall(event(i));
      await sink.close();
      assert.deepEqual(receiver.lines(), linesOf(0, 200));
      const [request] = receiver.requests;
      assert.equal(request.headers["content-encoding"], "gzip");
      assert.ok(request.wireBytes < request.body.length / 4, "compressed");
    }));

  test("maxBatchBytes: a large batch goes in several requests, each within the limit, in order", () =>
    withReceiver(async (receiver) => {
      const line = serializeCallEvent(event(0));
      const maxBatchBytes = (line.length + 1) * 7 + 3;
      const { sink } = sinkTo(receiver, { maxBatchBytes, capacity: 100 });
      for (let i = 0; i < 100; i++) sink.onCall(event(i));
      await sink.close();
      assert.deepEqual(receiver.lines(), linesOf(0, 100));
      for (const request of receiver.requests) {
        assert.ok(request.wireBytes <= maxBatchBytes, `${request.wireBytes}`);
      }
      assert.ok(receiver.requests.length >= 100 / 7);
    }));

  test("429 with Retry-After (seconds or a date): waits as asked, then delivers", () =>
    withReceiver(async (receiver) => {
      receiver.script(
        { status: 429, headers: { "retry-after": "0" } },
        {
          status: 429,
          headers: { "retry-after": new Date(Date.now() - 5000).toUTCString() },
        },
      );
      const { sink, errors } = sinkTo(receiver);
      await sendAll(sink, 0, 3);
      await sink.close();
      assert.equal(receiver.requests.length, 3, "two refusals, then the batch");
      assert.deepEqual(receiver.lines().slice(-3), linesOf(0, 3));
      assert.deepEqual(sink.stats(), stats({ accepted: 3, written: 3 }));
      assert.match(
        errors[0].message,
        /HTTP 429.*attempt 2 in 0 ms \(Retry-After\)/,
      );
    }));

  test("503, a reset connection and a timeout are tried again", () =>
    withReceiver(async (receiver) => {
      receiver.script(
        { status: 503, body: "try later" },
        { reset: true },
        { status: 200, delay: 300 }, // answered after requestTimeout
      );
      const { sink, errors } = sinkTo(receiver, { requestTimeout: 100 });
      await sendAll(sink, 0, 5);
      await sink.close();
      assert.equal(receiver.requests.length, 4);
      assert.deepEqual(receiver.lines().slice(-5), linesOf(0, 5));
      assert.deepEqual(sink.stats(), stats({ accepted: 5, written: 5 }));
      const told = errors.map((e) => e.message).join("\n");
      assert.match(told, /HTTP 503: try later/);
    }));

  test("400 fails that batch (counted, told with the status and the answer's first 200 bytes), and the next batch goes", () =>
    withReceiver(async (receiver) => {
      receiver.script({ status: 400, body: `bad row ${"x".repeat(300)}` });
      const { sink, errors } = sinkTo(receiver);
      await sendAll(sink, 0, 4);
      await sendAll(sink, 4, 6);
      await sink.close();
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 6, written: 2, failed: 4 }),
      );
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        /refused a batch of 4 events.*HTTP 400: bad row x+\)/,
      );
      const quoted = errors[0].message.match(/bad row x+/)![0];
      assert.equal(quoted.length, 200, "the first 200 bytes of the answer");
      assert.ok(!errors[0].message.includes("?"), "no query string shown");
    }));

  test("413 splits the request in two, down to single lines; a single line that still gets 413 fails", () =>
    withReceiver(async (receiver) => {
      const limit = (serializeCallEvent(event(0)).length + 1) * 3;
      // Refuses bodies above `limit` bytes, and the line of event 5 always.
      const sink = httpAuditSink(receiver.url, {
        onError: () => {},
        fetch: (url, init) => {
          const body = new TextDecoder().decode(init?.body as Uint8Array);
          if (body.length > limit || body.includes(event(5).call_id)) {
            return Promise.resolve(new Response("too large", { status: 413 }));
          }
          return fetch(url, init);
        },
      });
      for (let i = 0; i < 10; i++) sink.onCall(event(i));
      await sink.close();
      assert.deepEqual(receiver.lines(), [...linesOf(0, 5), ...linesOf(6, 10)]);
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 10, written: 9, failed: 1 }),
      );
    }));

  test("retry.maxAttempts: gives up on a batch after that many attempts", () =>
    withReceiver(async (receiver) => {
      receiver.always({ status: 503 });
      const { sink, errors } = sinkTo(receiver, {
        retry: { maxAttempts: 3, initialDelay: 1 },
      });
      await sendAll(sink, 0, 2);
      receiver.always(undefined);
      await sendAll(sink, 2, 3);
      await sink.close();
      assert.equal(receiver.requests.length, 4);
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 3, written: 1, failed: 2 }),
      );
      assert.ok(
        errors.some((e) =>
          /gave up on a batch of 2 events after 3 attempts/.test(e.message)
        ),
      );
    }));

  test("a receiver that never answers: close() resolves, and what was not delivered counts as failed", () =>
    withReceiver(async (receiver) => {
      receiver.always({ hang: true });
      const { sink, errors } = sinkTo(receiver, {
        requestTimeout: 50,
        closeTimeout: 200,
      });
      for (let i = 0; i < 20; i++) sink.onCall(event(i));
      await sink.close();
      assert.deepEqual(sink.stats(), stats({ accepted: 20, failed: 20 }));
      assert.ok(errors.some((e) => /close\(\) gave up/.test(e.message)));
    }));

  test("a receiver that goes down and comes back: with send(), nothing is lost", () =>
    withReceiver(async (receiver) => {
      const { sink } = sinkTo(receiver, { capacity: 16 });
      await sendAll(sink, 0, 10);
      await receiver.stop();
      const sending = sendAll(sink, 10, 60); // waits for room while it is down
      await new Promise((resolve) => setTimeout(resolve, 200));
      await receiver.start();
      await sending;
      await sink.close();
      assert.deepEqual(receiver.lines(), linesOf(0, 60));
      assert.deepEqual(sink.stats(), stats({ accepted: 60, written: 60 }));
    }));

  test("maxConcurrentRequests: several requests at once; each event arrives once, also when one batch is retried", () =>
    withReceiver(async (receiver) => {
      receiver.script({ status: 503, delay: 20 });
      receiver.always({ status: 204, delay: 20 });
      const line = serializeCallEvent(event(0));
      const { sink, errors } = sinkTo(receiver, {
        maxConcurrentRequests: 3,
        maxBatchBytes: (line.length + 1) * 10,
        capacity: 200,
      });
      for (let i = 0; i < 200; i++) sink.onCall(event(i));
      await sink.close();
      assert.equal(receiver.maxInFlight(), 3, "three at once, not more");
      const refused = receiver.requests[0].body.split("\n").length - 1;
      const lines = receiver.lines();
      assert.equal(lines.length, 200 + refused, "the refused batch, once more");
      const missing = linesOf(0, 200).filter((l) => !lines.includes(l));
      assert.deepEqual(missing, [], "every event arrived");
      assert.deepEqual(sink.stats(), stats({ accepted: 200, written: 200 }));
      assert.match(errors[0].message, /HTTP 503/);
    }));

  test("rejects a URL that is not http(s), and bad options, naming them", () => {
    assert.throws(
      () => httpAuditSink("ftp://x/"),
      /needs an http: or https: URL, got the string "ftp:\/\/x\/"/,
    );
    assert.throws(
      () => httpAuditSink("not a url"),
      /needs an http: or https: URL/,
    );
    const url = "http://127.0.0.1:1/";
    assert.throws(
      () => httpAuditSink(url, { maxBatchBytes: 0 }),
      /maxBatchBytes option must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => httpAuditSink(url, { requestTimeout: -1 }),
      /requestTimeout/,
    );
    assert.throws(
      () => httpAuditSink(url, { retry: { maxAttempts: 0 } }),
      /retry.maxAttempts/,
    );
    assert.throws(
      () => httpAuditSink(url, { retry: { initialDelay: 50, maxDelay: 10 } }),
      /retry.maxDelay/,
    );
    assert.throws(
      () => httpAuditSink(url, { fetch: 1 as never }),
      /fetch option of httpAuditSink\(\) must be a function, got 1/,
    );
    assert.throws(
      () => httpAuditSink(url, { headers: [["a"]] as never }),
      /headers option of httpAuditSink\(\) cannot make Headers/,
    );
  });
});
