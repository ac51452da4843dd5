/**
 * calltrail for MCP servers: one audit event per `tools/call`, in one line
 * of setup.
 *
 * {@linkcode auditMcpServer} takes an `McpServer` or `Server` of
 * `@modelcontextprotocol/sdk` (1.21 or later) and a sink, and records every
 * `tools/call` request: success, a tool's error, an unknown or disabled tool,
 * invalid arguments (the failing paths and rules, never the values), a
 * cancelled request, a JSON-RPC error. Arguments and results never reach
 * the log. {@linkcode auditMcpTransport} does the same at the transport, for
 * any server that uses the SDK's `Transport` interface.
 *
 * This entry point does not import the SDK (it is an optional peer
 * dependency): it works with whichever copy the server comes from.
 *
 * @example Audit a stdio MCP server into a file
 * ```ts
 * import { fileAuditSink } from "@calltrail/audit";
 * import { auditMcpServer } from "@calltrail/audit/mcp";
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { z } from "zod";
 *
 * const dir = await mkdtemp(`${tmpdir()}/calltrail-`);
 * // On stdio, stdout carries the protocol: audit to a file (or stderr).
 * const sink = await fileAuditSink(`${dir}/mcp-audit.jsonl`);
 * const server = auditMcpServer(
 *   new McpServer({ name: "notes", version: "1.0.0" }),
 *   sink,
 * );
 * server.registerTool(
 *   "add",
 *   { inputSchema: { a: z.number(), b: z.number() } },
 *   ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
 * );
 * // await server.connect(new StdioServerTransport());
 * // ... and on shutdown:
 * await server.close();
 * await sink.close();
 * ```
 *
 * @module
 */
export { auditMcpServer } from "./audit_mcp_server.ts";
export type { McpProtocolLike, McpServerLike } from "./audit_mcp_server.ts";
export { auditMcpTransport } from "./audit_mcp_transport.ts";
export type {
  McpMessage,
  McpMessageExtraInfo,
  McpTransportLike,
} from "./audit_mcp_transport.ts";
export type {
  McpAuditOptions,
  McpAuthInfo,
  McpRequestExtra,
} from "./mcp_audit_options.ts";
