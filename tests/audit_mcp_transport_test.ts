// auditMcpTransport: the audit at the transport, for any MCP implementation.
// A transport driven by hand stands for a server that is not the SDK's; then
// the SDK's own Server and Client run over an audited InMemoryTransport.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server";
import { CallToolRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { type AuditSink, MemoryAuditSink } from "../mod.ts";
import {
  auditMcpTransport,
  type McpMessage,
  type McpMessageExtraInfo,
  type McpTransportLike,
} from "../mcp.ts";
import { eventsOf } from "./_mcp_sdk.ts";

/**
 * A transport driven by hand: `deliver` plays a message from the client,
 * `sent` keeps what the server sent, `calls` what reached the original
 * methods and callbacks (and with which `this`).
 */
function handTransport(sessionId?: string) {
  const sent: McpMessage[] = [];
  const calls: string[] = [];
  const transport: McpTransportLike & { sessionId?: string } = {
    sessionId,
    start() {
      calls.push(`start ${this === transport}`);
      return Promise.resolve();
    },
    send(message: McpMessage, options?: unknown) {
      calls.push(`send ${this === transport} ${JSON.stringify(options)}`);
      sent.push(message);
      return Promise.resolve();
    },
  };
  return {
    transport,
    sent,
    calls,
    deliver(message: McpMessage, extra?: McpMessageExtraInfo) {
      transport.onmessage?.(message, extra);
    },
    close() {
      transport.onclose?.();
    },
  };
}

/** What a server does on connect(): install callbacks, then start. */
async function serve(
  hand: ReturnType<typeof handTransport>,
  received: McpMessage[] = [],
): Promise<void> {
  hand.transport.onmessage = (message) => void received.push(message);
  hand.transport.onclose = () => hand.calls.push("onclose");
  await hand.transport.start();
}

const call = (id: string | number, name: unknown, args?: unknown) =>
  ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name, arguments: args },
  }) as McpMessage;
const result = (id: string | number, isError?: boolean) =>
  ({
    jsonrpc: "2.0",
    id,
    result: { content: [], ...(isError === undefined ? {} : { isError }) },
  }) as McpMessage;
const failure = (id: string | number, code: unknown) =>
  ({ jsonrpc: "2.0", id, error: { code, message: "no" } }) as McpMessage;
const cancel = (requestId: string | number) =>
  ({
    jsonrpc: "2.0",
    method: "notifications/cancelled",
    params: { requestId },
  }) as McpMessage;

const outcomes = (sink: MemoryAuditSink) =>
  sink.events.map((event) =>
    `${event.tool_id}: ${event.outcome.kind}${
      "code" in event.outcome ? ` ${event.outcome.code}` : ""
    }`
  );

describe("auditMcpTransport, driven by hand", () => {
  test("results, isError and JSON-RPC errors; the original methods run as before", async () => {
    const sink = new MemoryAuditSink();
    const hand = handTransport();
    const received: McpMessage[] = [];
    assert.equal(auditMcpTransport(hand.transport, sink), hand.transport);
    await serve(hand, received);
    const messages = [
      call(1, "a"),
      call("two", "b"),
      call(3, "c"),
      call(4, "d"),
    ];
    for (const message of messages) hand.deliver(message);
    assert.deepEqual(received, messages, "every message reaches the server");
    await hand.transport.send(result(1), { relatedRequestId: 1 });
    await hand.transport.send(result("two", true));
    await hand.transport.send(failure(3, -32602));
    await hand.transport.send(failure(4, "odd"));
    assert.deepEqual(outcomes(sink), [
      "a: success",
      "b: execution_failed TOOL_ERROR",
      "c: execution_failed MCP_ERROR_-32602",
      "d: execution_failed MCP_ERROR_UNKNOWN",
    ]);
    assert.deepEqual(hand.sent, [
      result(1),
      result("two", true),
      failure(3, -32602),
      failure(4, "odd"),
    ]);
    assert.deepEqual(hand.calls, [
      "start true",
      'send true {"relatedRequestId":1}',
      "send true undefined",
      "send true undefined",
      "send true undefined",
    ]);
  });

  test("a cancellation ends the call at once; its late response is ignored", async () => {
    const sink = new MemoryAuditSink();
    const hand = handTransport();
    auditMcpTransport(hand.transport, sink);
    await serve(hand);
    hand.deliver(call(1, "slow"));
    hand.deliver(cancel(1));
    assert.deepEqual(outcomes(sink), ["slow: execution_failed CANCELLED"]);
    assert.equal(sink.events[0].outcome.kind, "execution_failed");
    await hand.transport.send(result(1));
    hand.deliver(cancel(1));
    hand.deliver(cancel(99));
    assert.equal(sink.events.length, 1);
  });

  test("a close ends every pending call, and the server still hears of it", async () => {
    const sink = new MemoryAuditSink();
    const hand = handTransport();
    auditMcpTransport(hand.transport, sink);
    await serve(hand);
    hand.deliver(call(1, "a"));
    hand.deliver(call(2, "b"));
    hand.deliver(call(2, "c")); // a client that reuses an id
    await hand.transport.send(result(1));
    hand.close();
    assert.deepEqual(outcomes(sink).sort(), [
      "a: success",
      "b: execution_failed CANCELLED",
      "c: execution_failed CANCELLED",
    ]);
    assert.equal(hand.calls.at(-1), "onclose");
    await hand.transport.send(result(2));
    assert.equal(sink.events.length, 3);
  });

  test("a reused id: responses answer the oldest, a cancellation the newest", async () => {
    const sink = new MemoryAuditSink();
    const hand = handTransport();
    auditMcpTransport(hand.transport, sink);
    await serve(hand);
    hand.deliver(call(5, "first"));
    hand.deliver(call(5, "second"));
    hand.deliver(call(5, "third"));
    hand.deliver(cancel(5));
    await hand.transport.send(result(5));
    await hand.transport.send(result(5, true));
    await hand.transport.send(result(5));
    assert.deepEqual(outcomes(sink), [
      "third: execution_failed CANCELLED",
      "first: success",
      "second: execution_failed TOOL_ERROR",
    ]);
  });

  test("other messages pass untouched and unaudited", async () => {
    const errors: Error[] = [];
    const sink = new MemoryAuditSink();
    const hand = handTransport();
    auditMcpTransport(hand.transport, sink, {
      onError: (error) => errors.push(error),
    });
    const received: McpMessage[] = [];
    await serve(hand, received);
    const odd = [
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", method: "tools/call", params: { name: "no-id" } },
      { jsonrpc: "2.0", id: 9, result: {} },
      null,
      42,
      "text",
    ] as unknown as McpMessage[];
    for (const message of odd) hand.deliver(message);
    for (const message of odd) await hand.transport.send(message);
    assert.deepEqual(received, odd);
    assert.equal(sink.events.length, 0);
    assert.deepEqual(errors, []);
  });

  test("a request without a name: tool_id is empty", async () => {
    const sink = new MemoryAuditSink();
    const hand = handTransport();
    auditMcpTransport(hand.transport, sink);
    await serve(hand);
    hand.deliver({ jsonrpc: "2.0", id: 1, method: "tools/call" } as McpMessage);
    hand.deliver(call(2, 42));
    await hand.transport.send(failure(1, -32602));
    await hand.transport.send(failure(2, -32602));
    assert.deepEqual(sink.events.map((event) => event.tool_id), ["", ""]);
  });

  test("the caller: authInfo's clientId, else the session id", async () => {
    const sink = new MemoryAuditSink();
    const hand = handTransport("session-5");
    auditMcpTransport(hand.transport, sink);
    await serve(hand);
    const authInfo = { token: "t", clientId: "agent-1", scopes: ["b", "a"] };
    hand.deliver(call(1, "x"), { authInfo });
    hand.deliver(call(2, "x"));
    hand.deliver(call(3, "x"), {
      authInfo: { token: "t", clientId: "", scopes: ["a", 7] as string[] },
    });
    for (const id of [1, 2, 3]) await hand.transport.send(result(id));
    assert.deepEqual(
      sink.events.map((e) => [e.caller_id, e.granted_capabilities]),
      [["agent-1", ["a", "b"]], ["session-5", []], ["session-5", ["a"]]],
    );
  });

  test("not a transport: TypeError", () => {
    assert.throws(
      () =>
        auditMcpTransport(
          {} as McpTransportLike,
          new MemoryAuditSink(),
        ),
      /^TypeError: calltrail: auditMcpTransport\(\) needs an MCP transport/,
    );
    const hand = handTransport();
    assert.throws(
      () => auditMcpTransport(hand.transport, {} as AuditSink),
      /^TypeError: calltrail: auditMcpTransport\(\) needs an AuditSink/,
    );
  });
});

describe("auditMcpTransport under the SDK", () => {
  test("a low-level Server over an audited InMemoryTransport", async () => {
    const sink = new MemoryAuditSink();
    const server = new Server({ name: "low", version: "1.0.0" }, {
      capabilities: { tools: {} },
    });
    server.setRequestHandler(CallToolRequestSchema, (request) => {
      if (request.params.name === "boom") throw new Error("boom");
      return { content: [{ type: "text", text: "ok" }] };
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(auditMcpTransport(serverSide, sink));
    const client = new Client({ name: "c", version: "1.0.0" });
    await client.connect(clientSide);
    await client.callTool({ name: "fine", arguments: {} });
    await assert.rejects(client.callTool({ name: "boom", arguments: {} }));
    await client.listTools().catch(() => {});
    await eventsOf(sink, 2);
    assert.deepEqual(outcomes(sink), [
      "fine: success",
      "boom: execution_failed MCP_ERROR_-32603",
    ]);
    await client.close();
  });
});
