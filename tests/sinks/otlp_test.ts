// otlpAuditSink: the ExportLogsServiceRequest it sends (one record per
// event, the line as its body, the GenAI attributes), cross-checked against
// OpenTelemetry's own JSON serializer; OTLP's retry rules; partialSuccess.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JsonLogsSerializer } from "@opentelemetry/otlp-transformer";
import {
  type CallEvent,
  otlpAuditSink,
  serializeCallEvent,
} from "../../mod.ts";
import { VERSION } from "../../_version.ts";
import { sampleEvent, stats } from "../_helpers.ts";
import { writeVectors } from "../_vectors.ts";
import { type Receiver, startReceiver } from "./_receiver.ts";

type Json = Record<string, unknown>;
interface KeyValue {
  key: string;
  value: Json;
}

async function withReceiver(run: (receiver: Receiver) => Promise<void>) {
  const receiver = await startReceiver("/v1/logs");
  try {
    await run(receiver);
  } finally {
    await receiver.stop();
  }
}

/** The log records of every request the receiver got. */
function recordsOf(receiver: Receiver): Json[] {
  return receiver.requests.flatMap((request) => {
    const body = JSON.parse(request.body);
    return body.resourceLogs[0].scopeLogs[0].logRecords as Json[];
  });
}

/** An attribute list as an object of key to value. */
const byKey = (attributes: KeyValue[]) =>
  Object.fromEntries(attributes.map(({ key, value }) => [key, value]));

const quiet = { onError: () => {}, retry: { initialDelay: 1, maxDelay: 5 } };

/** `value` as OpenTelemetry's own attributes would hold it. */
function otelAttributes(event: CallEvent): Json {
  const { outcome } = event;
  const attributes: Json = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": event.tool_id,
    "gen_ai.tool.call.id": event.call_id,
  };
  if (outcome.kind !== "success") attributes["error.type"] = outcome.kind;
  if (event.caller_id !== undefined) {
    attributes["calltrail.caller_id"] = event.caller_id;
  }
  attributes["calltrail.granted_capabilities"] = event.granted_capabilities;
  attributes["calltrail.duration_ms"] = event.duration_ms;
  for (const [key, value] of Object.entries(outcome)) {
    if (value !== null) attributes[`calltrail.outcome.${key}`] = value;
  }
  attributes["calltrail.tier"] = event.tier;
  attributes["calltrail.dry_run"] = event.dry_run;
  attributes["calltrail.schema_version"] = event.schema_version;
  attributes["calltrail.secrets_resolved"] = event.secrets_resolved;
  if (event.cursor_page !== undefined) {
    attributes["calltrail.cursor_page"] = event.cursor_page;
  }
  if (event.capability_provenance !== undefined) {
    attributes["calltrail.capability_provenance"] = event.capability_provenance;
  }
  return attributes;
}

/**
 * JSON made comparable: integers as strings (OTLP/JSON allows both), keys
 * sorted, attribute lists by key, and no zero droppedAttributesCount.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalise);
    const keyed = items.every((item) =>
      typeof item === "object" && item !== null && "key" in item
    );
    return keyed
      ? items.sort((a, b) =>
        String((a as KeyValue).key).localeCompare(String((b as KeyValue).key))
      )
      : items;
  }
  if (typeof value !== "object" || value === null) return value;
  const out: Json = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Json)[key];
    if (key === "droppedAttributesCount" && item === 0) continue;
    if (item === undefined) continue;
    out[key] = key === "intValue" ? String(item) : normalise(item);
  }
  return out;
}

describe("otlpAuditSink", () => {
  test("one log record per event: the line as its body, the times, the severity and the GenAI attributes", () =>
    withReceiver(async (receiver) => {
      const events = writeVectors.map((vector) => vector.event);
      const sink = otlpAuditSink(receiver.url, quiet);
      const before = Date.now();
      for (const event of events) sink.onCall(event);
      const after = Date.now();
      await sink.close();
      const [request] = receiver.requests;
      assert.equal(request.headers["content-type"], "application/json");
      const body = JSON.parse(request.body);
      const { resource, scopeLogs } = body.resourceLogs[0];
      assert.deepEqual(byKey(resource.attributes), {
        "service.name": { stringValue: "calltrail" },
      });
      assert.deepEqual(scopeLogs[0].scope, {
        name: "@calltrail/audit",
        version: VERSION,
      });
      const records = recordsOf(receiver);
      assert.equal(records.length, events.length);
      records.forEach((record, i) => {
        const event = events[i];
        const at = writeVectors[i].name;
        assert.deepEqual(
          record.body,
          { stringValue: writeVectors[i].line },
          at,
        );
        assert.equal(
          record.timeUnixNano,
          `${Date.parse(event.ts)}000000`,
          at,
        );
        const observed = BigInt(record.observedTimeUnixNano as string);
        assert.ok(
          observed >= BigInt(before) * 1_000_000n &&
            observed <= BigInt(after) * 1_000_000n,
          `${at}: observed when accepted`,
        );
        const kind = event.outcome.kind;
        const expected = kind === "success"
          ? [9, "INFO"]
          : kind === "execution_failed"
          ? [17, "ERROR"]
          : [13, "WARN"];
        assert.deepEqual(
          [record.severityNumber, record.severityText],
          expected,
        );
        assert.equal(record.eventName, "calltrail.tool_call");
        const attributes = byKey(record.attributes as KeyValue[]);
        assert.deepEqual(attributes["gen_ai.tool.name"], {
          stringValue: event.tool_id,
        });
        assert.deepEqual(attributes["calltrail.duration_ms"], {
          intValue: String(event.duration_ms),
        });
        assert.equal(
          attributes["error.type"] === undefined,
          kind === "success",
        );
        assert.equal(
          attributes["calltrail.ts"],
          undefined,
          "ts is not repeated",
        );
      });
      assert.deepEqual(
        sink.stats(),
        stats({
          accepted: events.length,
          written: events.length,
        }),
      );
    }));

  test("the same request as OpenTelemetry's own JSON serializer makes, for every vector", () =>
    withReceiver(async (receiver) => {
      const events = writeVectors.map((vector) => vector.event);
      const resource = { "service.name": "tool-host", "host.cores": 2 };
      const sink = otlpAuditSink(receiver.url, { ...quiet, resource });
      for (const event of events) sink.onCall(event);
      await sink.close();
      const ours = JSON.parse(receiver.requests[0].body);
      const records = recordsOf(receiver);
      const scope = { name: "@calltrail/audit", version: VERSION };
      const otelResource = { attributes: resource };
      const theirs = JSON.parse(
        new TextDecoder().decode(
          JsonLogsSerializer.serializeRequest(events.map((event, i) => {
            const ns = BigInt(records[i].timeUnixNano as string);
            const observed = BigInt(records[i].observedTimeUnixNano as string);
            const hr = (t: bigint) => [
              Number(t / 1_000_000_000n),
              Number(t % 1_000_000_000n),
            ];
            const kind = event.outcome.kind;
            return {
              hrTime: hr(ns),
              hrTimeObserved: hr(observed),
              severityNumber: kind === "success"
                ? 9
                : kind === "execution_failed"
                ? 17
                : 13,
              severityText: kind === "success"
                ? "INFO"
                : kind === "execution_failed"
                ? "ERROR"
                : "WARN",
              body: serializeCallEvent(event),
              eventName: "calltrail.tool_call",
              attributes: otelAttributes(event),
              droppedAttributesCount: 0,
              resource: otelResource,
              instrumentationScope: scope,
            };
          }) as never),
        ),
      );
      assert.deepEqual(normalise(ours), normalise(theirs));
    }));

  test("OTLP's retry rules: 429 and 503 again, 408 and 400 fail the batch", () =>
    withReceiver(async (receiver) => {
      const errors: Error[] = [];
      const sink = otlpAuditSink(receiver.url, {
        ...quiet,
        onError: (error) => void errors.push(error),
      });
      receiver.script(
        { status: 429, headers: { "retry-after": "0" } },
        { status: 503 },
      );
      await sink.send(sampleEvent({ call_id: "retried" }));
      await sink.flush();
      receiver.script({ status: 408 });
      await sink.send(sampleEvent({ call_id: "408" }));
      await sink.flush();
      receiver.script({ status: 400, body: "bad request" });
      await sink.send(sampleEvent({ call_id: "400" }));
      await sink.close();
      assert.equal(receiver.requests.length, 5);
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 3, written: 1, failed: 2 }),
      );
      assert.ok(errors.some((e) => /HTTP 408/.test(e.message)));
    }));

  test("partialSuccess: the rejected log records count as failed, and onError is told", () =>
    withReceiver(async (receiver) => {
      const errors: Error[] = [];
      receiver.script({
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          partialSuccess: { rejectedLogRecords: "2", errorMessage: "too old" },
        }),
      });
      const sink = otlpAuditSink(receiver.url, {
        ...quiet,
        onError: (error) => void errors.push(error),
      });
      for (let i = 0; i < 5; i++) {
        sink.onCall(sampleEvent({ call_id: `c${i}` }));
      }
      await sink.close();
      assert.deepEqual(
        sink.stats(),
        stats({ accepted: 5, written: 3, failed: 2 }),
      );
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /rejected 2 of 5 log records.*too old/);
    }));

  test("rejects resource attributes it cannot send", () => {
    assert.throws(
      () =>
        otlpAuditSink("http://127.0.0.1:4318/v1/logs", {
          resource: { "service.name": { nested: true } as never },
        }),
      /"service.name" is an object/,
    );
  });
});
