// auditMcpServer against the real SDK, on the lowest supported version and
// the newest 1.x (tests/_mcp_sdk.ts): the SDK's Client calls tools over
// InMemoryTransport, with authInfo passed through, and every row of the
// mapping of SPEC §5.3 is checked on the events, one per request.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type AuditSink,
  type CallEvent,
  JsonLinesAuditSink,
  MemoryAuditSink,
  parseCallEvent,
} from "../mod.ts";
import {
  auditMcpServer,
  auditMcpTransport,
  type McpRequestExtra,
} from "../mcp.ts";
import { Server as ServerNew } from "@modelcontextprotocol/sdk/server";
import { McpServer as McpServerNew } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport as StdioNew } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Server as ServerOld } from "mcp-sdk-1.21/server";
import { McpServer as McpServerOld } from "mcp-sdk-1.21/server/mcp.js";
import { StdioServerTransport as StdioOld } from "mcp-sdk-1.21/server/stdio.js";
import { collector, tick } from "./_helpers.ts";
import { throwables } from "./_throwables.ts";
import {
  connectClient,
  eventsOf,
  gate,
  type HighServer,
  type Sdk,
  SDKS,
  text,
} from "./_mcp_sdk.ts";

const TOOL_ERROR = {
  kind: "execution_failed",
  code: "TOOL_ERROR",
  retryable: false,
} as const;
const CANCELLED = {
  kind: "execution_failed",
  code: "CANCELLED",
  retryable: true,
} as const;

/**
 * An McpServer with one tool per row of the mapping. `wait` runs until
 * `hold` resolves and says when it started and ended.
 */
function notesServer(
  sdk: Sdk,
  hold: Promise<void> = Promise.resolve(),
  options?: Record<string, unknown>,
): { server: HighServer; waiting: { started: boolean; ended: boolean } } {
  const { z } = sdk;
  const server = new sdk.McpServer(
    { name: "notes", version: "1.0.0" },
    options,
  );
  const waiting = { started: false, ended: false };
  server.registerTool(
    "add",
    { inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }: { a: number; b: number }) => text(String(a + b)),
  );
  server.registerTool(
    "read_note",
    { inputSchema: { name: z.string() } },
    ({ name }: { name: string }) =>
      name === "todo" ? text("buy milk") : text(`no note named ${name}`, true),
  );
  server.registerTool("explode", {}, () => {
    throw new Error("the tool exploded");
  });
  server.registerTool(
    "count",
    { outputSchema: { count: z.number() } },
    () => ({ ...text("many"), structuredContent: { count: "many" } }),
  );
  server.registerTool(
    "order",
    {
      inputSchema: {
        items: z.array(
          z.object({ sku: z.string().min(3), qty: z.number().int().min(1) }),
        ),
        color: z.enum(["red", "green"]),
        note: z.string().max(5).optional(),
      },
    },
    () => text("ordered"),
  );
  server.registerTool(
    "lookup",
    {
      inputSchema: {
        id: z.string().refine(async (id) => {
          await tick(1);
          return id.startsWith("n-");
        }),
      },
    },
    () => text("found"),
  );
  server.registerTool("wait", {}, async () => {
    waiting.started = true;
    await hold;
    waiting.ended = true;
    return text("done");
  });
  server.registerTool("retired", {}, () => text("old")).disable();
  return { server, waiting };
}

/** Calls a tool and waits for the call's event, the `count`th. */
async function callAndWait(
  connection: { client: { callTool(p: object): Promise<unknown> } },
  sink: MemoryAuditSink,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallEvent> {
  const count = sink.events.length + 1;
  await connection.client.callTool({ name, arguments: args });
  const events = await eventsOf(sink, count);
  return events[count - 1];
}

/** Fails when `sink` gets another event within a few turns. */
async function noMoreEvents(sink: MemoryAuditSink, count: number) {
  await tick(20);
  assert.equal(sink.events.length, count, JSON.stringify(sink.events));
}

for (const sdk of SDKS) {
  describe(`auditMcpServer, SDK ${sdk.version}`, () => {
    test("a result without isError: success, with the defaults", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      assert.equal(auditMcpServer(server, sink), server);
      const connection = await connectClient(sdk, server);
      const result = await connection.client.callTool({
        name: "add",
        arguments: { a: 1, b: 2 },
      });
      assert.deepEqual(result.content, [{ type: "text", text: "3" }]);
      const [event] = await eventsOf(sink, 1);
      assert.equal(event.tool_id, "add");
      assert.equal("caller_id" in event, false, "no caller: no caller_id");
      assert.deepEqual(event.granted_capabilities, []);
      assert.deepEqual(event.outcome, { kind: "success" });
      assert.equal(event.tier, "hot");
      assert.equal(event.dry_run, false);
      assert.ok(Number.isSafeInteger(event.duration_ms));
      assert.ok(event.duration_ms >= 0);
      assert.match(event.call_id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      await connection.client.close();
    });

    test("authInfo: clientId is the caller, scopes the capabilities", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server, {
        authInfo: {
          token: "secret-token",
          clientId: "agent-7",
          scopes: ["notes.write", "notes.read", "notes.write"],
        },
        sessionId: "session-1",
      });
      const event = await callAndWait(connection, sink, "add", { a: 1, b: 1 });
      assert.equal(event.caller_id, "agent-7");
      assert.deepEqual(event.granted_capabilities, [
        "notes.read",
        "notes.write",
      ]);
      assert.doesNotMatch(JSON.stringify(event), /secret-token/);
      await connection.client.close();
    });

    test("without a clientId, the session id is the caller", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server, {
        sessionId: "session-9",
      });
      const event = await callAndWait(connection, sink, "add", { a: 1, b: 1 });
      assert.equal(event.caller_id, "session-9");
      assert.deepEqual(event.granted_capabilities, []);
      await connection.client.close();
    });

    test("isError results and thrown errors: TOOL_ERROR", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      const missing = await callAndWait(connection, sink, "read_note", {
        name: "groceries",
      });
      assert.deepEqual(missing.outcome, TOOL_ERROR);
      const thrown = await callAndWait(connection, sink, "explode");
      assert.deepEqual(thrown.outcome, TOOL_ERROR);
      // The tool ran; its output failed the output schema.
      const badOutput = await callAndWait(connection, sink, "count");
      assert.deepEqual(badOutput.outcome, TOOL_ERROR);
      const found = await callAndWait(connection, sink, "read_note", {
        name: "todo",
      });
      assert.deepEqual(found.outcome, { kind: "success" });
      await connection.client.close();
    });

    test("unknown and disabled tools: tool_not_found, the name as requested", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      const unknown = await callAndWait(connection, sink, "subtract", { a: 1 });
      assert.equal(unknown.tool_id, "subtract");
      assert.deepEqual(unknown.outcome, { kind: "tool_not_found" });
      const disabled = await callAndWait(connection, sink, "retired");
      assert.equal(disabled.tool_id, "retired");
      assert.deepEqual(disabled.outcome, { kind: "tool_not_found" });
      await connection.client.close();
    });

    test("an McpServer without any tool: tool_not_found", async () => {
      const sink = new MemoryAuditSink();
      const server = new sdk.McpServer({ name: "empty", version: "1.0.0" });
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      // SDK 1.21 has no tools/call handler yet: a JSON-RPC error.
      await connection.client.callTool({ name: "add", arguments: {} })
        .catch(() => {});
      const [event] = await eventsOf(sink, 1);
      assert.deepEqual(event.outcome, { kind: "tool_not_found" });
      await connection.client.close();
    });

    test("invalid arguments: paths and rules, never values", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      const wrongType = await callAndWait(connection, sink, "add", {
        a: "SECRET-ONE",
        b: 2,
      });
      assert.deepEqual(wrongType.outcome, {
        kind: "invalid_args",
        message: "a: invalid_type (expected number)",
      });
      const event = await callAndWait(connection, sink, "order", {
        items: [{ sku: "SECRET-SKU", qty: 1 }, { sku: "SE", qty: 0 }],
        color: "SECRET-COLOR",
        note: "SECRET-NOTE",
      });
      assert.equal(event.outcome.kind, "invalid_args");
      const { message } = event.outcome as { message: string };
      const enumRule = sdk.z.enum(["a"]).safeParse("b").error!.issues[0].code;
      assert.equal(
        message,
        "items[1].sku: too_small (minimum 3); items[1].qty: too_small (minimum 1); " +
          `color: ${enumRule}; note: too_big (maximum 5)`,
      );
      // An asynchronous refinement: checked again, asynchronously.
      const refined = await callAndWait(connection, sink, "lookup", {
        id: "SECRET-ID",
      });
      assert.deepEqual(refined.outcome, {
        kind: "invalid_args",
        message: "id: custom",
      });
      assert.doesNotMatch(JSON.stringify(sink.events), /SECRET|\bSE\b/);
      await connection.client.close();
    });

    if (sdk.hasMaxToolInputElements) {
      test("arguments above maxToolInputElements: invalid_args", async () => {
        const sink = new MemoryAuditSink();
        const { server } = notesServer(sdk, undefined, {
          maxToolInputElements: 3,
        });
        auditMcpServer(server, sink);
        const connection = await connectClient(sdk, server);
        const event = await callAndWait(connection, sink, "order", {
          items: [{ sku: "abc", qty: 1 }, { sku: "abd", qty: 2 }],
          color: "red",
        });
        assert.deepEqual(event.outcome, {
          kind: "invalid_args",
          message:
            "(arguments): too_big (more than 3 elements, the server's maxToolInputElements)",
        });
        await connection.client.close();
      });
    }

    test("a cancelled request: CANCELLED at once, while the tool runs on", async () => {
      const sink = new MemoryAuditSink();
      const hold = gate();
      const { server, waiting } = notesServer(sdk, hold.promise);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      const abort = new AbortController();
      const call = connection.client.callTool(
        { name: "wait", arguments: {} },
        undefined,
        { signal: abort.signal },
      );
      const rejected = assert.rejects(call);
      while (!waiting.started) await tick(1);
      abort.abort("the user gave up");
      await rejected;
      const [event] = await eventsOf(sink, 1);
      assert.equal(
        waiting.ended,
        false,
        "the event came before the tool ended",
      );
      assert.equal(event.tool_id, "wait");
      assert.deepEqual(event.outcome, CANCELLED);
      hold.open();
      while (!waiting.ended) await tick(1);
      await noMoreEvents(sink, 1);
      await connection.client.close();
    });

    test("a connection that closes before the response: CANCELLED", async () => {
      const sink = new MemoryAuditSink();
      const hold = gate();
      const { server, waiting } = notesServer(sdk, hold.promise);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      // SDK 1.21 keeps a request's timer past close(): keep it short.
      const call = connection.client.callTool(
        { name: "wait", arguments: {} },
        undefined,
        { timeout: 1000 },
      );
      const rejected = assert.rejects(call);
      while (!waiting.started) await tick(1);
      await connection.client.close();
      await rejected;
      const [event] = await eventsOf(sink, 1);
      assert.deepEqual(event.outcome, CANCELLED);
      hold.open();
      while (!waiting.ended) await tick(1);
      await noMoreEvents(sink, 1);
    });

    test("a low-level Server: results, isError, and errors as MCP_ERROR_<code>", async () => {
      const sink = new MemoryAuditSink();
      const server = new sdk.Server(
        { name: "low", version: "1.0.0" },
        { capabilities: { tools: {} } },
      );
      server.setRequestHandler(sdk.CallToolRequestSchema, (request) => {
        switch (request.params.name) {
          case "ok":
            return text("fine");
          case "fails":
            return text("it failed", true);
          case "refuses":
            throw new sdk.McpError(-32602, "no such thing");
          default:
            throw new Error("a handler bug");
        }
      });
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server, {
        authInfo: { token: "t", clientId: "agent-1", scopes: ["x"] },
      });
      for (const name of ["ok", "fails", "refuses", "crashes"]) {
        await connection.client.callTool({ name, arguments: {} }).catch(
          () => {},
        );
      }
      const events = await eventsOf(sink, 4);
      assert.deepEqual(events.map((event) => event.outcome), [
        { kind: "success" },
        TOOL_ERROR,
        {
          kind: "execution_failed",
          code: "MCP_ERROR_-32602",
          retryable: false,
        },
        {
          kind: "execution_failed",
          code: "MCP_ERROR_-32603",
          retryable: false,
        },
      ]);
      assert.deepEqual(events.map((event) => event.tool_id), [
        "ok",
        "fails",
        "refuses",
        "crashes",
      ]);
      assert.ok(events.every((event) => event.caller_id === "agent-1"));
      await connection.client.close();
    });

    test("a low-level Server without a tools/call handler: MCP_ERROR_-32601", async () => {
      const sink = new MemoryAuditSink();
      const server = new sdk.Server({ name: "bare", version: "1.0.0" }, {
        capabilities: {},
      });
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      await assert.rejects(
        connection.client.callTool({ name: "add", arguments: {} }),
      );
      const [event] = await eventsOf(sink, 1);
      assert.deepEqual(event.outcome, {
        kind: "execution_failed",
        code: "MCP_ERROR_-32601",
        retryable: false,
      });
      await connection.client.close();
    });

    test("only tools/call is audited", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      await connection.client.listTools();
      await connection.client.ping();
      await noMoreEvents(sink, 0);
      await callAndWait(connection, sink, "add", { a: 1, b: 2 });
      await noMoreEvents(sink, 1);
      await connection.client.close();
    });

    test("audited before its tools are registered, or after connect()", async () => {
      const sink = new MemoryAuditSink();
      const server = auditMcpServer(
        new sdk.McpServer({ name: "late", version: "1.0.0" }),
        sink,
      );
      server.registerTool("hello", {}, () => text("hi"));
      const connection = await connectClient(sdk, server);
      // The SDK takes a new tool after connect() once it has one.
      server.registerTool("later", {}, () => text("", true));
      const hello = await callAndWait(connection, sink, "hello");
      assert.deepEqual(hello.outcome, { kind: "success" });
      const later = await callAndWait(connection, sink, "later");
      assert.deepEqual(later.outcome, TOOL_ERROR);
      const unknown = await callAndWait(connection, sink, "bye");
      assert.deepEqual(unknown.outcome, { kind: "tool_not_found" });
      await connection.client.close();
    });

    test("audited after connect(): the requests that arrive from then on", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      const connection = await connectClient(sdk, server);
      await connection.client.callTool({
        name: "add",
        arguments: { a: 1, b: 2 },
      });
      auditMcpServer(server, sink);
      const event = await callAndWait(connection, sink, "explode");
      assert.deepEqual(event.outcome, TOOL_ERROR);
      await noMoreEvents(sink, 1);
      await connection.client.close();
    });

    test("options replace each default, from the name and the request's extra", async () => {
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      const seen: [string, McpRequestExtra][] = [];
      auditMcpServer(server, sink, {
        caller: (name, extra) => {
          seen.push([name, extra]);
          return `${extra.authInfo?.clientId}@${extra.sessionId}`;
        },
        capabilities: (name) => [`${name}.run`],
        tier: (name) => (name === "add" ? "warm" : "cold"),
        toolId: (name) => `mcp:notes.${name}`,
      });
      const authInfo = { token: "t", clientId: "agent-3", scopes: ["s"] };
      const connection = await connectClient(sdk, server, {
        authInfo,
        sessionId: "s-1",
      });
      const event = await callAndWait(connection, sink, "add", { a: 1, b: 2 });
      assert.equal(event.tool_id, "mcp:notes.add");
      assert.equal(event.caller_id, "agent-3@s-1");
      assert.deepEqual(event.granted_capabilities, ["add.run"]);
      assert.equal(event.tier, "warm");
      const [[name, extra]] = seen;
      assert.equal(name, "add");
      assert.equal(typeof extra.requestId, "number");
      assert.equal(extra.sessionId, "s-1");
      assert.deepEqual(extra.authInfo, authInfo);
      await connection.client.close();
    });

    test("an option that throws: its default, onError hears, the client gets its result", async () => {
      const sink = new MemoryAuditSink();
      const errors: Error[] = [];
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink, {
        caller: () => {
          throw new Error("no directory");
        },
        onError: (error) => errors.push(error),
      });
      const connection = await connectClient(sdk, server, {
        sessionId: "s-2",
      });
      const result = await connection.client.callTool({
        name: "add",
        arguments: { a: 2, b: 2 },
      });
      assert.deepEqual(result.content, [{ type: "text", text: "4" }]);
      const [event] = await eventsOf(sink, 1);
      assert.equal(event.caller_id, "s-2");
      assert.equal(errors.length, 1);
      assert.match(
        errors[0].message,
        /^calltrail: the caller option of auditMcpServer\(\) threw for tool "add": no directory\./,
      );
      await connection.client.close();
    });

    test("a sink that throws never reaches the server", async () => {
      const errors: Error[] = [];
      const sink: AuditSink = {
        onCall() {
          throw new Error("sink on fire");
        },
        drops: () => 0,
      };
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink, { onError: (error) => errors.push(error) });
      const connection = await connectClient(sdk, server);
      const result = await connection.client.callTool({
        name: "add",
        arguments: { a: 2, b: 3 },
      });
      assert.deepEqual(result.content, [{ type: "text", text: "5" }]);
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /^calltrail: .*sink on fire/);
      await connection.client.close();
    });

    test("whatever an option or the sink throws, the server answers and onError hears", async () => {
      for (const [name, make] of throwables()) {
        const errors: Error[] = [];
        const events: CallEvent[] = [];
        const sink: AuditSink = {
          onCall(event) {
            events.push(event);
            if (events.length === 2) throw make();
          },
          drops: () => 0,
        };
        const { server } = notesServer(sdk);
        auditMcpServer(server, sink, {
          tier: () => {
            throw make();
          },
          onError: (error) => errors.push(error),
        });
        const connection = await connectClient(sdk, server);
        for (const a of [1, 2]) {
          const result = await connection.client.callTool({
            name: "add",
            arguments: { a, b: 1 },
          });
          assert.deepEqual(
            result.content,
            [{ type: "text", text: `${a + 1}` }],
            name,
          );
        }
        assert.deepEqual(events.map((e) => e.tier), ["hot", "hot"], name);
        // The tier option twice, the sink once: each report names what threw.
        assert.equal(errors.length, 3, name);
        for (const error of errors) {
          assert.match(error.message, /^calltrail: .*auditMcpServer\(\)/, name);
        }
        await connection.client.close();
      }
    });

    test("arguments and results never reach the line", async () => {
      const out = collector();
      const sink = new JsonLinesAuditSink(out.stream);
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      const calls: [string, Record<string, unknown>][] = [
        ["read_note", { name: "SECRET-NAME" }],
        ["add", { a: "SECRET-A", b: 1 }],
        ["order", { items: [{ sku: "SECRET-SKU", qty: -1 }], color: "red" }],
        ["subtract", { a: "SECRET-SUB" }],
      ];
      for (const [name, args] of calls) {
        await connection.client.callTool({ name, arguments: args });
      }
      await connection.client.close();
      await tick(20);
      await sink.close();
      const lines = out.lines();
      assert.equal(lines.length, calls.length);
      for (const line of lines) {
        assert.doesNotMatch(line, /SECRET|no note named/);
        parseCallEvent(line);
      }
    });

    test("exactly one event per request, whatever mix runs at once", async () => {
      const kinds = {
        add: { kind: "success" },
        read_note: TOOL_ERROR,
        explode: TOOL_ERROR,
        retired: { kind: "tool_not_found" },
        nothing: { kind: "tool_not_found" },
        order: { kind: "invalid_args" },
      } as const;
      const args: Record<string, Record<string, unknown>> = {
        add: { a: 1, b: 2 },
        read_note: { name: "x" },
        order: { items: [], color: "blue" },
      };
      const sink = new MemoryAuditSink();
      const { server } = notesServer(sdk);
      auditMcpServer(server, sink);
      const connection = await connectClient(sdk, server);
      const names = Object.keys(kinds) as (keyof typeof kinds)[];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 30 }),
          async (batch) => {
            const before = sink.events.length;
            await Promise.all(
              batch.map((name) =>
                connection.client.callTool({
                  name,
                  arguments: args[name] ?? {},
                })
              ),
            );
            const events = (await eventsOf(sink, before + batch.length))
              .slice(before);
            const got = events.map((e) => `${e.tool_id} ${e.outcome.kind}`)
              .sort();
            const want = batch.map((name) => `${name} ${kinds[name].kind}`)
              .sort();
            assert.deepEqual(got, want);
            await noMoreEvents(sink, before + batch.length);
          },
        ),
        { numRuns: 15 },
      );
      await connection.client.close();
    });
  });
}

describe("auditMcpServer's arguments", () => {
  const [sdk] = SDKS;
  test("not a server, not a sink, an option that is not a function: TypeError", () => {
    const sink = new MemoryAuditSink();
    const server = new sdk.McpServer({ name: "x", version: "1.0.0" });
    assert.throws(
      () => auditMcpServer({} as HighServer, sink),
      /^TypeError: calltrail: auditMcpServer\(\) needs an McpServer or a Server/,
    );
    assert.throws(
      () => auditMcpServer(server, {} as AuditSink),
      /^TypeError: calltrail: auditMcpServer\(\) needs an AuditSink/,
    );
    assert.throws(
      () =>
        auditMcpServer(server, sink, {
          tier: "warm" as unknown as () => "warm",
        }),
      /^TypeError: calltrail: the tier option of auditMcpServer\(\) must be a function; got string\./,
    );
  });

  test("takes the SDK's own classes and transports, as they are typed", () => {
    // Checked by the type checker (deno test): no cast, the type comes back.
    const sink = new MemoryAuditSink();
    const info = { name: "typed", version: "1.0.0" };
    const servers: [McpServerNew, ServerNew, McpServerOld, ServerOld] = [
      auditMcpServer(new McpServerNew(info), sink),
      auditMcpServer(new ServerNew(info), sink),
      auditMcpServer(new McpServerOld(info), sink),
      auditMcpServer(new ServerOld(info), sink),
    ];
    const transports: [StdioNew, StdioOld] = [
      auditMcpTransport(new StdioNew(), sink),
      auditMcpTransport(new StdioOld(), sink),
    ];
    assert.equal(servers.length + transports.length, 6);
  });
});
