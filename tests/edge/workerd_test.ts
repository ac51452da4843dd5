// calltrail on Cloudflare's workerd: bundles tests/edge/worker.ts with
// esbuild (ESM, browser platform, no node: imports), serves it with the
// workerd devDependency and asserts on the worker's JSON answers and on what
// it logged.
//
// Two configs, both with the same recent compatibility date:
// - Web APIs only: the date implies nodejs_compat (since 2026-08-04), so the
//   config opts out with no_nodejs_compat and no_nodejs_compat_v2; no flag
//   enables anything. This is the host the library must support with Web
//   APIs alone.
// - No flags at all: the date's defaults, which on this workerd include
//   nodejs_compat (a `process` global, node:fs on a virtual file system). A
//   new Worker gets this, so the library must work there too.
//
// Within a config the tests run in order and share one workerd; the last one
// stops it (it runs even when others fail, and an exit hook kills workerd if
// the test process ends first).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AuditSinkStats,
  type CallEvent,
  parseCallEvent,
} from "../../mod.ts";
import { bundleWorker } from "./_bundle.ts";
import { startReceiver } from "../sinks/_receiver.ts";
import { SPEC_EVENT, SPEC_LINE } from "../_spec_example.ts";
import { stats } from "../_helpers.ts";
import {
  COMPATIBILITY_DATE,
  startWorkerd,
  WEB_ONLY_FLAGS,
  type Workerd,
} from "./_workerd.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/**
 * A limit on each test (bundling, starting workerd, polling), never an
 * assertion: bun test would otherwise stop a test after 5 s.
 */
const SLOW = { timeout: 120_000 };
/** How long to poll for something that happens after a response. */
const POLL_LIMIT_MS = 30_000;

type Json = Record<string, unknown>;
type Stats = AuditSinkStats;

let dir: string | undefined;

async function tempDir(): Promise<string> {
  return dir ??= await mkdtemp(join(tmpdir(), "calltrail-edge-"));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value other than undefined. */
async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      assert.fail(`${what}: not seen within ${POLL_LIMIT_MS} ms`);
    }
    await delay(50);
  }
}

/** Each line parses with parseCallEvent, here on the host too. */
function parseAll(lines: string[]): CallEvent[] {
  return lines.map((line) => parseCallEvent(line));
}

/** The full stats object, so every counter is compared. */
/** A line of workerd's output that mentions `callId`, once it is there. */
function lineWith(read: () => string, callId: string): Promise<string> {
  return poll(
    `a line with ${callId} in workerd's output`,
    () => read().split("\n").find((line) => line.includes(callId)),
  );
}

interface Scenario {
  name: string;
  flags: readonly string[];
  /** Whether the worker sees Web APIs only (no `process` global). */
  webOnly: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: `Web APIs only (compatibilityDate ${COMPATIBILITY_DATE}, ${
      WEB_ONLY_FLAGS.join(", ")
    })`,
    flags: WEB_ONLY_FLAGS,
    webOnly: true,
  },
  {
    name:
      `no compatibility flags (compatibilityDate ${COMPATIBILITY_DATE}, nodejs_compat implied)`,
    flags: [],
    webOnly: false,
  },
];

describe("calltrail on workerd", () => {
  test(
    "worker.ts bundles for the browser platform without node: imports",
    SLOW,
    async () => {
      const bundle = await bundleWorker(
        WORKER,
        join(await tempDir(), "worker.js"),
      );
      assert.deepEqual(bundle.nodeImports, [], "node: imports in the bundle");
      // The bundle is the library, not a stub: it carries mod.ts's code.
      assert.ok(bundle.text.includes("JsonLinesAuditSink"), "the sink's code");
      assert.ok(bundle.text.includes("getBuiltinModule"), "the native sinks");
    },
  );

  test("the node: check catches a node: import (control)", SLOW, async () => {
    const base = await tempDir();
    const fixture = join(base, "uses_node_fs.js");
    await writeFile(
      fixture,
      'import { readFileSync } from "node:fs";\n' +
        "export default { fetch: () => new Response(String(readFileSync)) };\n",
    );
    // Left to the browser platform, esbuild cannot resolve it: the bundle
    // step fails.
    await assert.rejects(
      bundleWorker(fixture, join(base, "control_1.js")),
      /node:fs/,
    );
    // Marked external, it would load: the check must still see it.
    const external = await bundleWorker(
      fixture,
      join(base, "control_2.js"),
      ["node:*"],
    );
    assert.deepEqual(external.nodeImports, ["node:fs"]);
  });

  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      let server: Workerd | undefined;

      /** GETs `path` from the worker; returns its JSON body (status 200). */
      const get = async (path: string): Promise<Json> => {
        assert.ok(server, "workerd is not running (see the earlier failure)");
        const response = await fetch(`${server.url}${path}`);
        const text = await response.text();
        assert.equal(response.status, 200, `GET ${path}: ${text}`);
        return JSON.parse(text) as Json;
      };
      const running = (): Workerd => {
        assert.ok(server, "workerd is not running (see the earlier failure)");
        return server;
      };

      test("workerd serves the bundle", SLOW, async () => {
        const started = await startWorkerd(
          await tempDir(),
          "worker.js",
          scenario.flags,
        );
        server = started;
        // No flag enables Node.js compatibility.
        assert.doesNotMatch(started.config, /"nodejs_compat(?:_v2)?"/);
        assert.match(
          started.config,
          new RegExp(`compatibilityDate = "${COMPATIBILITY_DATE}"`),
        );
        assert.match(started.config, /esModule = embed "worker\.js"/);
      });

      test("mod.ts loads and exports every SPEC §2/§3 name", SLOW, async () => {
        const body = await get("/exports");
        assert.deepEqual(body.types, body.expected);
        assert.equal(body.SCHEMA_VERSION, 3);
        assert.equal(body.DEFAULT_AUDIT_QUEUE_CAPACITY, 1024);
        assert.match(body.now as string, RFC3339_MS);
        assert.equal(body.hasDeno, false);
        assert.equal(body.hasBun, false);
        // The premise of the config.
        if (scenario.webOnly) {
          assert.equal(body.process, "undefined", "no process global");
          assert.equal(body.hasGetBuiltinModule, false);
        } else {
          assert.equal(body.hasGetBuiltinModule, true, "nodejs_compat");
          assert.equal(typeof body.nodeVersion, "string");
        }
      });

      test(
        "startCall, serializeCallEvent and parseCallEvent work",
        SLOW,
        async () => {
          const body = await get("/core");
          const event = body.event as CallEvent;
          assert.match(event.call_id, ULID);
          assert.equal(event.call_id, (body.recorder as Json).call_id);
          assert.equal((body.recorder as Json).finished, true);
          assert.ok(Number.isSafeInteger(event.duration_ms), "integer");
          assert.ok(event.duration_ms >= 0, "duration_ms >= 0");
          assert.match(event.ts, RFC3339_MS);
          assert.deepEqual(event.granted_capabilities, ["read", "write"]);
          assert.deepEqual(event.outcome, { kind: "success" });
          assert.equal(event.schema_version, 3);
          assert.match(body.secondFinish as string, /already finished/);

          // The line of the finished event, read back in the worker and here.
          assert.deepEqual(body.parsedLine, event);
          assert.deepEqual(parseCallEvent(body.line as string), event);

          // The canonical line of SPEC §1's example.
          assert.equal(body.specLine, SPEC_LINE);
          assert.equal(body.createdLine, SPEC_LINE);
          assert.deepEqual(body.parsedSpecLine, SPEC_EVENT);
          assert.equal(body.schemaAcceptsSpecLine, true);
          assert.equal(body.schemaRejectsEmpty, true);
          assert.match(body.serializeBigInt as string, /duration_ms/);
          assert.match(body.badLineError as string, /tool_id/);
        },
      );

      test(
        "a JsonLinesAuditSink over a WritableStream writes every line",
        SLOW,
        async () => {
          const body = await get("/stream");
          const sent = body.sent as string[];
          const lines = body.lines as string[];
          assert.equal(sent.length, 6);
          assert.equal(body.afterLastNewline, "", "the text ends with \\n");
          assert.equal(lines.length, sent.length);
          const events = parseAll(lines);
          assert.deepEqual(events.map((e) => e.call_id), sent, "in order");
          assert.deepEqual(body.parsed, events, "parseCallEvent in the worker");
          assert.deepEqual(body.stats, stats({ accepted: 6, written: 6 }));
          assert.equal(body.drops, 0);
          assert.equal(body.destinationClosed, true);
          const before = body.beforeClose as Stats;
          assert.equal(before.accepted, 6);
          assert.equal(
            before.accepted,
            before.written + before.failed + before.queued,
          );

          // capacity 2: two accepted, three dropped and counted, none waited.
          const full = body.full as {
            stats: Stats;
            drops: number;
            closed: Stats;
          };
          assert.deepEqual(
            full.stats,
            stats({ accepted: 2, dropped: 3, queued: 2 }),
          );
          assert.equal(full.drops, 3);
          assert.deepEqual(
            full.closed,
            stats({ accepted: 2, written: 2, dropped: 3 }),
          );
          // Three drops in one burst: onError is told once, with all three.
          const errors = body.errors as string[];
          assert.equal(errors.length, 1, errors.join("\n"));
          assert.match(
            errors[0],
            /queue is full \(capacity 2\).*dropped: 3 since the last report, 3 in all/,
          );
        },
      );

      test(
        "consoleAuditSink writes with ctx.waitUntil(sink.flush())",
        SLOW,
        async () => {
          const body = await get("/console?id=1");
          const callId = body.call_id as string;
          assert.match(callId, ULID);
          assert.equal((body.atResponse as Stats).accepted, 1);
          assert.deepEqual(body.errors, []);

          // The flush ran under waitUntil, after the response.
          const after = await poll("the waitUntil flush", async () => {
            const result = await get("/console-stats?id=1");
            return (result.stats as Stats | null) ?? undefined;
          });
          assert.deepEqual(after, stats({ accepted: 1, written: 1 }));

          // workerd prints console.log lines verbatim on its stdout.
          const workerd = running();
          const event = parseCallEvent(await lineWith(workerd.stdout, callId));
          assert.equal(event.call_id, callId);
          assert.equal(event.tool_id, "ref:edge.console");
          assert.equal(event.caller_id, "console-1");
        },
      );

      test(
        "invalid input to onCall never throws and counts as invalid",
        SLOW,
        async () => {
          const body = await get("/invalid");
          assert.deepEqual(body.thrown, []);
          const four = stats({ invalid: 4 });
          const all = body.stats as Record<string, Stats>;
          assert.deepEqual(
            all.stream,
            stats({ invalid: 5 }),
            "4 onCall, 1 send",
          );
          assert.deepEqual(all.memory, four);
          assert.deepEqual(all.console, four);
          assert.deepEqual(all.fanMemory, four);
          assert.deepEqual(all.fanStream, four);
          assert.match(body.sendBigInt as string, /^rejected: .*duration_ms/);
          assert.deepEqual(body.drops, { fanout: 0, memory: 0 });
          assert.equal(body.memoryEvents, 0);
          // Every invalid event is reported to onError: 5 + 4 * 4.
          assert.equal((body.errors as string[]).length, 21);
        },
      );

      test("MemoryAuditSink and fanoutAuditSink work", SLOW, async () => {
        const body = await get("/memory-fanout");
        const sent = body.sent as string[];
        assert.equal(sent.length, 4);
        const memoryEvents = body.memoryEvents as CallEvent[];
        assert.deepEqual(memoryEvents.map((e) => e.call_id), sent);
        assert.deepEqual(body.memoryStats, stats({ accepted: 4, written: 4 }));
        const events = parseAll(body.lines as string[]);
        assert.deepEqual(events, memoryEvents, "the same events in both");
        assert.deepEqual(body.parsed, events);
        assert.deepEqual(body.flushed, stats({ accepted: 4, written: 4 }));
        assert.deepEqual(body.stream, stats({ accepted: 4, written: 4 }));
        assert.equal(body.drops, 0);
        assert.equal(body.destinationClosed, true);
        assert.deepEqual(body.small, { drops: 1, fanoutDrops: 2, events: 1 });
        assert.deepEqual(body.errors, []);
      });

      test(
        "fileAuditSink rejects; stdout/stderr sinks work",
        SLOW,
        async () => {
          const body = await get("/native");
          const file = body.file as string;
          assert.match(file, /^rejected: /);
          assert.match(file, /"x"/, "the message names the path");
          // workerd counts as an edge runtime also with nodejs_compat, whose
          // file system and process streams are request-scoped stand-ins.
          assert.match(file, /needs a file system/);
          const workerd = running();
          for (const name of ["stdout", "stderr"] as const) {
            const result = body[name] as {
              made: string | null;
              call_id: string;
              captured: string[];
              parsed: CallEvent[];
              stats: Stats;
            };
            assert.equal(result.made, null, `${name}: ${result.made}`);
            assert.deepEqual(result.stats, stats({ accepted: 1, written: 1 }));
            // No process streams: each line is one console call, verbatim.
            assert.equal(result.captured.length, 1, `${name}: console lines`);
            const event = parseCallEvent(result.captured[0]);
            assert.equal(event.call_id, result.call_id);
            assert.deepEqual(result.parsed, [event]);
            const output = name === "stdout" ? workerd.stdout : workerd.stderr;
            const line = await lineWith(output, result.call_id);
            assert.equal(parseCallEvent(line).call_id, result.call_id);
          }
          assert.deepEqual(body.errors, []);
        },
      );

      test(
        "sinks made at module scope work across two requests",
        SLOW,
        async () => {
          const first = await get("/global?step=1");
          const second = await get("/global?step=2");
          for (const [n, body] of [[1, first], [2, second]] as const) {
            assert.deepEqual(body.thrown, [], `step ${n}: onCall threw`);
            assert.equal(body.flush, "resolved", `step ${n}: flush`);
            assert.deepEqual(body.errors, [], `step ${n}: errors reported`);
            assert.deepEqual(body.console, stats({ accepted: n, written: n }));
            assert.deepEqual(body.stream, stats({ accepted: n, written: n }));
            assert.deepEqual(body.memory, stats({ accepted: n, written: n }));
            assert.deepEqual(body.drops, { console: 0, fanout: 0 });
            const events = parseAll(body.lines as string[]);
            assert.deepEqual(events.map((e) => e.call_id), body.sent);
            assert.equal(events.length, n);
          }
          // Both requests' console lines reached workerd's stdout.
          const workerd = running();
          for (const [n, body] of [[1, first], [2, second]] as const) {
            const callId = body.consoleCallId as string;
            const event = parseCallEvent(
              await lineWith(workerd.stdout, callId),
            );
            assert.equal(event.caller_id, `global-${n}`);
          }
        },
      );

      test(
        "a module-scope sink fed without flush() writes in a later request",
        SLOW,
        async () => {
          // Step 1 audits a call and answers without flushing (no waitUntil):
          // its line may stay queued while no request runs. Step 2 audits a
          // call and keeps the request alive for up to 500 timer turns: the
          // sink seals its batch on its next turn and writes both lines.
          const first = await get("/global-no-flush?step=1");
          assert.equal(first.thrown, null);
          assert.equal((first.stats as Stats).accepted, 1);
          const second = await get("/global-no-flush?step=2");
          assert.equal(second.thrown, null);
          assert.deepEqual(second.errors, []);
          assert.equal(
            second.waited,
            "written",
            `the sink never wrote its lines: ${JSON.stringify(second.stats)}`,
          );
          assert.deepEqual(second.stats, stats({ accepted: 2, written: 2 }));
          const events = parseAll(second.lines as string[]);
          assert.deepEqual(events.map((e) => e.call_id), second.sent);
        },
      );

      test(
        "httpAuditSink and otlpAuditSink deliver inside ctx.waitUntil, per request and at module scope",
        SLOW,
        async () => {
          const receiver = await startReceiver();
          try {
            const to = encodeURIComponent(receiver.url);
            const arrived = () =>
              receiver.requests.map((r) => r.body).join("\n");
            // One request at a time, each after the last one's waitUntil
            // ended: a sink shared by requests whose work overlaps would
            // write one request's lines from another's I/O context, which
            // workerd cancels (the README says so).
            for (const kind of ["http", "otlp"]) {
              for (const scope of ["request", "module", "module"]) {
                const body = await get(
                  `/http?to=${to}&kind=${kind}&scope=${scope}&id=${scope}`,
                );
                assert.deepEqual(body.errors, []);
                const callId = body.call_id as string;
                await poll(
                  `${callId} (${kind}, ${scope}) at the receiver`,
                  () => arrived().includes(callId) || undefined,
                );
                await poll(
                  `the waitUntil of ${callId} (${kind}, ${scope}) ended`,
                  async () =>
                    (await get(`/http?settled=${callId}`)).settled === true ||
                    undefined,
                );
              }
            }
            const kinds = receiver.requests.map((r) =>
              r.headers["content-type"]
            );
            assert.ok(kinds.includes("application/x-ndjson"));
            assert.ok(kinds.includes("application/json"));
          } finally {
            await receiver.stop();
          }
        },
      );

      test(
        "readCallEvents reads a stream; a chained file sink rejects",
        SLOW,
        async () => {
          const body = await get("/read");
          assert.equal(body.events, 2);
          assert.deepEqual(body.bad, ["2 SyntaxError", "4 TornLineError"]);
          assert.match(body.chained as string, /^rejected: .*calltrail: /);
        },
      );

      test("workerd logged no error and stops", SLOW, async () => {
        const workerd = server;
        server = undefined;
        assert.ok(workerd, "workerd was not started");
        await workerd.stop();
        assert.doesNotMatch(
          workerd.stderr(),
          /uncaught|different request|error: /i,
          "workerd's stderr",
        );
      });
    });
  }

  test("removes the temporary directory", async () => {
    assert.ok(dir !== undefined, "the temporary directory was made");
    await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
});
