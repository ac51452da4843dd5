// OTLP records written as bytes, for any event the serializer writes (quotes,
// backslashes, control characters, lone surrogates, any plane): each record
// parses as JSON, carries the line byte for byte as its body, and the
// event's own values in its attributes, also when records of different
// kinds of events follow one another (the cache of their stable parts).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type CallEvent, serializeCallEvent } from "../../mod.ts";
import { ByteWriter } from "../../sinks/_byte_writer.ts";
import { OtlpRecords } from "../../sinks/_otlp_records.ts";
import { callEventArb } from "../_arbitraries.ts";

interface AnyValue {
  stringValue?: string;
  intValue?: string;
  arrayValue?: { values: AnyValue[] };
}
interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  body: AnyValue;
  attributes: { key: string; value: AnyValue }[];
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Events that share their tool, caller and capabilities (the part of the
 * line before the duration) and differ after it: the cache must tell them
 * apart.
 */
const alike: fc.Arbitrary<CallEvent> = fc.tuple(
  callEventArb,
  fc.constantFrom("ref:a", "ref:b"),
).map(([event, tool_id]) => ({
  ...event,
  tool_id,
  caller_id: "agent",
  granted_capabilities: ["read"],
}));

describe("OtlpRecords", () => {
  test("every record parses, with the line as its body and the event's values as attributes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(callEventArb, alike), { minLength: 1, maxLength: 8 }),
        (events) => {
          const records = new OtlpRecords();
          const out = new ByteWriter(16);
          const lines: string[] = [];
          const kept: CallEvent[] = [];
          for (const event of events) {
            let line: string;
            try {
              line = serializeCallEvent(event);
            } catch {
              continue; // not an event the sink would take
            }
            if (lines.length > 0) out.byte(0x2c);
            records.write(out, line, 1_780_000_000_123);
            lines.push(line);
            kept.push(JSON.parse(line) as CallEvent);
          }
          const parsed = JSON.parse(
            `[${decoder.decode(out.result())}]`,
          ) as LogRecord[];
          assert.equal(parsed.length, lines.length);
          parsed.forEach((record, i) => {
            const event = kept[i];
            const attribute = (key: string) =>
              record.attributes.find((a) => a.key === key)?.value;
            assert.equal(record.body.stringValue, lines[i]);
            assert.equal(record.observedTimeUnixNano, "1780000000123000000");
            assert.equal(
              attribute("gen_ai.tool.name")?.stringValue,
              event.tool_id,
            );
            assert.equal(
              attribute("gen_ai.tool.call.id")?.stringValue,
              event.call_id,
            );
            assert.equal(
              attribute("calltrail.duration_ms")?.intValue,
              String(event.duration_ms),
            );
            assert.equal(
              attribute("calltrail.caller_id")?.stringValue,
              event.caller_id,
            );
            assert.deepEqual(
              attribute("calltrail.granted_capabilities")?.arrayValue?.values
                .map((v) => v.stringValue),
              event.granted_capabilities,
            );
            assert.equal(
              attribute("calltrail.outcome.kind")?.stringValue,
              event.outcome.kind,
            );
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
