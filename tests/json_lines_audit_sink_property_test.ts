// Property tests of JsonLinesAuditSink's accounting (SPEC §4): random
// interleavings of onCall, send, abort, flush, destination progress and
// failure, checked after every step.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CallEvent,
  JsonLinesAuditSink,
  parseCallEvent,
  serializeCallEvent,
} from "../mod.ts";
import { sampleEvent, tick } from "./_helpers.ts";
import { callEventArb } from "./_arbitraries.ts";

type Op =
  | { op: "onCall"; valid: boolean }
  | { op: "send"; valid: boolean; abortable: boolean }
  | { op: "abort" }
  | { op: "release" }
  | { op: "fail" }
  | { op: "flush" }
  | { op: "tick" }
  | { op: "mutate" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("onCall" as const),
      valid: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("send" as const),
      valid: fc.boolean(),
      abortable: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "abort" as const }) },
  { weight: 4, arbitrary: fc.constant({ op: "release" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "fail" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 2, arbitrary: fc.constant({ op: "tick" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "mutate" as const }) },
);

test("accounting holds at every step of any interleaving", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.array(opArb, { maxLength: 60 }),
      fc.boolean(),
      async (capacity, ops, failOnClose) => {
        const writes: {
          chunk: Uint8Array;
          resolve: () => void;
          reject: (e: Error) => void;
        }[] = [];
        const written: string[] = [];
        const decoder = new TextDecoder();
        const sink = new JsonLinesAuditSink(
          new WritableStream<Uint8Array>({
            write: (chunk) =>
              new Promise<void>((resolve, reject) =>
                writes.push({
                  chunk,
                  resolve: () => {
                    written.push(decoder.decode(chunk));
                    resolve();
                  },
                  reject,
                })
              ),
          }),
          { capacity, onError: () => {} },
        );

        let seq = 0;
        let calls = 0; // onCalls, plus sends once settled
        const expected = new Map<string, string>(); // call_id -> line at call
        const controllers: AbortController[] = [];
        const unsettled = new Set<Promise<void>>();
        const reused = sampleEvent();

        /** What must hold at every moment, even mid-chain. */
        const balanced = (where: string): void => {
          const s = sink.stats();
          const at = `${where}: ${JSON.stringify(s)}`;
          assert.equal(s.accepted, s.written + s.failed + s.queued, at);
          assert.ok(s.queued >= 0 && s.queued <= capacity, at);
          assert.equal(sink.drops(), s.dropped, at);
        };
        /** Once promise reactions ran: every settled call is counted once. */
        const check = async (where: string): Promise<void> => {
          for (let hop = 0; hop < 20; hop++) await null;
          balanced(where);
          const s = sink.stats();
          assert.equal(
            s.accepted + s.dropped + s.invalid,
            calls,
            `${where}: ${JSON.stringify(s)}`,
          );
        };
        const next = (valid: boolean): CallEvent => {
          const id = `call-${String(seq++).padStart(4, "0")}`;
          if (!valid) return sampleEvent({ call_id: id, duration_ms: NaN });
          reused.call_id = id;
          expected.set(id, serializeCallEvent(reused));
          return reused; // reused and mutated later: the line must not change
        };

        for (const [i, step] of ops.entries()) {
          switch (step.op) {
            case "onCall":
              sink.onCall(next(step.valid));
              calls++;
              break;
            case "send": {
              const controller = new AbortController();
              if (step.abortable) controllers.push(controller);
              const sent = sink.send(next(step.valid), {
                signal: controller.signal,
              });
              const settled = sent.then(
                () => void calls++,
                () => void calls++,
              );
              unsettled.add(settled);
              settled.then(() => unsettled.delete(settled));
              break;
            }
            case "abort":
              controllers.shift()?.abort(new Error("gave up"));
              break;
            case "release":
              writes.shift()?.resolve();
              break;
            case "fail":
              writes.shift()?.reject(new Error("injected failure"));
              break;
            case "flush":
              void sink.flush();
              break;
            case "tick":
              await tick(0);
              break;
            case "mutate":
              reused.tool_id = `mutated-${i}`;
              reused.granted_capabilities = [`cap-${i}`];
              break;
          }
          balanced(`right after step ${i} (${step.op})`);
          await check(`after step ${i} (${step.op})`);
        }

        let closed = false;
        const closing = sink.close().then(() => void (closed = true));
        while (!closed) {
          const write = writes.shift();
          if (failOnClose) write?.reject(new Error("failure at close"));
          else write?.resolve();
          await tick(0);
        }
        await closing;
        await Promise.all(unsettled);
        await check("after close");
        const end = sink.stats();
        assert.equal(end.queued, 0);

        // What reached the destination: whole lines, in the order of the
        // calls, each exactly as the event was at its call.
        const lines = written.join("").split("\n");
        assert.equal(lines.pop(), "", "the output ends with a newline");
        assert.equal(lines.length, end.written);
        let last = "";
        for (const line of lines) {
          const event = parseCallEvent(line);
          assert.equal(line, expected.get(event.call_id));
          assert.ok(event.call_id > last, "in order of acceptance");
          last = event.call_id;
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("every written line parses back and re-serializes to the same bytes", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(callEventArb, { minLength: 1, maxLength: 20 }),
      async (events) => {
        const chunks: Uint8Array[] = [];
        const sink = new JsonLinesAuditSink(
          new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
        );
        for (const e of events) sink.onCall(e as CallEvent);
        await sink.close();
        assert.equal(sink.stats().written, events.length);
        // Valid UTF-8 throughout, and one line per event.
        const output = new TextDecoder("utf-8", { fatal: true }).decode(
          new Uint8Array(chunks.flatMap((c) => [...c])),
        );
        const lines = output.split("\n");
        assert.equal(lines.pop(), "");
        assert.equal(lines.length, events.length);
        lines.forEach((line, i) => {
          const parsed = parseCallEvent(line);
          assert.equal(serializeCallEvent(parsed), line);
          assert.equal(line, serializeCallEvent(events[i] as CallEvent));
          // Canonical JSON: what JSON.stringify writes for the parsed object.
          assert.equal(JSON.stringify(JSON.parse(line)), line);
        });
      },
    ),
    { numRuns: 200 },
  );
});
