import { describe } from "./_describe.ts";
import { trackerSettings } from "./_mcp_tracker_settings.ts";
import { mcpToolRegistry } from "./_mcp_tool_registry.ts";
import { instrumentTransport } from "./_instrument_mcp_transport.ts";
import type { AuditSink } from "./audit_sink.ts";
import type { McpTransportLike } from "./audit_mcp_transport.ts";
import type { McpAuditOptions } from "./mcp_audit_options.ts";

/**
 * The low-level `Server` of `@modelcontextprotocol/sdk` (its `Protocol`), as
 * far as calltrail uses it.
 *
 * @example The low-level server of an McpServer
 * ```ts
 * import type { McpProtocolLike } from "@calltrail/audit/mcp";
 *
 * function connected(server: McpProtocolLike): boolean {
 *   return server.transport !== undefined;
 * }
 * ```
 */
export interface McpProtocolLike {
  /**
   * Connects the server to a transport and starts it.
   *
   * @param transport The transport.
   */
  connect(transport: McpTransportLike): Promise<void>;
  /** The transport the server is connected to, if any. */
  readonly transport?: McpTransportLike | undefined;
}

/**
 * The high-level `McpServer` of `@modelcontextprotocol/sdk`, as far as
 * calltrail uses it: its low-level `server`.
 *
 * @example Reach the low-level server
 * ```ts
 * import type { McpProtocolLike, McpServerLike } from "@calltrail/audit/mcp";
 *
 * function lowLevel(server: McpServerLike): McpProtocolLike {
 *   return server.server;
 * }
 * ```
 */
export interface McpServerLike {
  /** The low-level server that speaks the protocol. */
  readonly server: McpProtocolLike;
}

/**
 * Audits every `tools/call` request of an MCP server: each one yields exactly
 * one event, with `duration_ms` from the request's arrival to its response.
 * No other method is audited. Tool arguments and results never reach the
 * event.
 *
 * | what happened | outcome |
 * | --- | --- |
 * | a result without `isError` | `success` |
 * | `isError: true`, or the tool threw | `execution_failed`, `TOOL_ERROR`, not retryable |
 * | no such tool, or a disabled one | `tool_not_found` (`tool_id` is the requested name) |
 * | arguments that fail the input schema | `invalid_args`, naming paths and rules, never values |
 * | the request was cancelled, or the connection closed first | `execution_failed`, `CANCELLED`, retryable, emitted at once |
 * | any other JSON-RPC error (a low-level `Server`'s handler that threw) | `execution_failed`, `MCP_ERROR_<code>`, not retryable |
 *
 * Defaults, each replaced by an option of the same name: `caller_id` is
 * `authInfo.clientId`, else the session id, else left out;
 * `granted_capabilities` are `authInfo.scopes`; `tier` is `"hot"`; `tool_id`
 * is the tool's name.
 *
 * `server` is an `McpServer` or a `Server` of `@modelcontextprotocol/sdk`
 * 1.21 or later. Call `auditMcpServer` before `connect()`; tools may be
 * registered before or after. (Called on a connected server, it audits the
 * requests that arrive from then on.) calltrail does not import the SDK: it
 * works with the SDK the server comes from. It wraps the server's
 * `connect()` and, at each connect, the transport's `send`, `start` and
 * callbacks; it reads McpServer's tool registry to tell unknown tools and
 * invalid arguments from a tool's own errors.
 *
 * The audit never throws into the server: an option that throws gets its
 * default, and every such error goes to `options.onError`.
 *
 * @param server The `McpServer` or `Server`, before `connect()`.
 * @param sink Where events go: any {@linkcode AuditSink}. For a server on
 * stdio, a file or stderr, never stdout.
 * @param options Override the caller, capabilities, tier and tool id.
 * @returns The same server.
 * @throws {TypeError} When `server` is not an MCP server, `sink` has no
 * `onCall`, or an option is not a function.
 *
 * @example Audit an McpServer
 * ```ts
 * import { MemoryAuditSink } from "@calltrail/audit";
 * import { auditMcpServer } from "@calltrail/audit/mcp";
 * import { Client } from "@modelcontextprotocol/sdk/client";
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 *
 * const sink = new MemoryAuditSink();
 * const server = auditMcpServer(
 *   new McpServer({ name: "notes", version: "1.0.0" }),
 *   sink,
 * );
 * server.registerTool(
 *   "add",
 *   { inputSchema: { a: z.number(), b: z.number() } },
 *   ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
 * );
 *
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 * const client = new Client({ name: "agent", version: "1.0.0" });
 * await client.connect(clientSide);
 * await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
 * await client.callTool({ name: "add", arguments: { a: "one", b: 2 } });
 * await client.callTool({ name: "subtract", arguments: {} });
 * await client.close();
 *
 * assert.deepEqual(sink.events.map((event) => event.outcome), [
 *   { kind: "success" },
 *   { kind: "invalid_args", message: "a: invalid_type (expected number)" },
 *   { kind: "tool_not_found" },
 * ]);
 * ```
 */
export function auditMcpServer<S extends McpServerLike | McpProtocolLike>(
  server: S,
  sink: AuditSink,
  options: McpAuditOptions = {},
): S {
  const high = isMcpServer(server) ? server : undefined;
  const protocol = high === undefined ? server as McpProtocolLike : high.server;
  if (typeof protocol?.connect !== "function") {
    throw new TypeError(
      `calltrail: auditMcpServer() needs an McpServer or a Server of @modelcontextprotocol/sdk as its first argument; got ${
        describe(server)
      }. For another MCP implementation, use auditMcpTransport(transport, sink).`,
    );
  }
  const registry = high === undefined ? undefined : mcpToolRegistry(high);
  const settings = trackerSettings(
    "auditMcpServer",
    sink,
    options,
    registry,
  );
  if (high !== undefined && registry === undefined) {
    settings.report(
      new Error(
        "calltrail: auditMcpServer() cannot read this McpServer's tools (an SDK it does not know?): unknown tools and invalid arguments will be recorded as execution_failed TOOL_ERROR. Please report the SDK version.",
      ),
    );
  }
  const connect = protocol.connect;
  protocol.connect = function connect_(transport) {
    if (typeof transport?.send === "function") {
      instrumentTransport(transport, settings, false);
    }
    return connect.call(protocol, transport);
  };
  if (protocol.transport !== undefined) {
    instrumentTransport(protocol.transport, settings, true);
  }
  return server;
}

function isMcpServer(server: unknown): server is McpServerLike {
  const inner = (server as { server?: unknown } | null)?.server;
  return typeof inner === "object" && inner !== null &&
    typeof (inner as { connect?: unknown }).connect === "function";
}
