import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TrailStats } from "../../cli/_trail_stats.ts";
import { compareInstants } from "../../cli/_instant.ts";
import { callEventArb } from "../_arbitraries.ts";
import { nearestRank, referenceStats } from "./_reference_stats.ts";
import { sampleEvent } from "../_helpers.ts";

describe("TrailStats (the numbers of stats and report)", () => {
  test("property: the same JSON as the plain computation, for any events", () => {
    fc.assert(
      fc.property(
        fc.array(
          callEventArb.map((e) => ({
            ...e,
            tool_id: e.tool_id.slice(0, 1), // few tools, many calls each
            duration_ms: e.duration_ms % 6000, // both counting paths
          })),
          { maxLength: 60 },
        ),
        (events) => {
          const stats = new TrailStats();
          for (const event of events) stats.add(event);
          assert.deepEqual(
            JSON.parse(JSON.stringify(stats.toJSON())),
            JSON.parse(JSON.stringify(referenceStats(events))),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a tool, caller or capability named __proto__ is counted like any other", () => {
    const stats = new TrailStats();
    stats.add(sampleEvent({
      tool_id: "__proto__",
      caller_id: "__proto__",
      outcome: { kind: "capability_denied", missing: ["__proto__"] },
    }));
    const json = JSON.parse(JSON.stringify(stats.toJSON()));
    assert.equal(json.by_caller.__proto__, 1);
    assert.equal(json.by_tool.__proto__.calls, 1);
    assert.equal(json.denied_capabilities.__proto__, 1);
  });

  test("nearest rank: the smallest value with at least p% at or below it", () => {
    const stats = new TrailStats();
    const durations = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100_000];
    for (const duration_ms of durations) {
      stats.add(sampleEvent({ duration_ms }));
    }
    const [[, tool]] = stats.tools();
    assert.deepEqual(
      [tool.p50_ms, tool.p95_ms, tool.p99_ms, tool.max_ms],
      [6, 100_000, 100_000, 100_000],
    );
    assert.equal(nearestRank(durations, 50), 6);
    assert.equal(nearestRank(durations, 90), 10);
  });

  test("compares times as instants, whatever their offset and fraction digits", () => {
    const later = "2026-05-29T10:00:00.000000001Z";
    assert.ok(compareInstants("2026-05-29T10:00:00Z", later) < 0);
    assert.ok(
      compareInstants("2026-05-29T12:00:00+02:00", "2026-05-29T10:00:00.5Z") <
        0,
    );
    assert.ok(
      compareInstants(
        "2026-05-29T09:59:59.999-00:01",
        "2026-05-29T10:00:00.999Z",
      ) > 0,
    );
    assert.equal(
      compareInstants(
        "2026-05-29T10:00:00.100Z",
        "2026-05-29T10:00:00.1+00:00",
      ),
      0,
    );
    const stats = new TrailStats();
    for (
      const ts of [
        "2026-05-29T12:00:00+02:00",
        later,
        "2026-05-29T09:00:00.123456789-01:00",
      ]
    ) {
      stats.add(sampleEvent({ ts }));
    }
    // Written as they stand in the log.
    assert.equal(stats.firstTs, "2026-05-29T12:00:00+02:00");
    assert.equal(stats.lastTs, "2026-05-29T09:00:00.123456789-01:00");
  });
});
