import { trackerSettings } from "./_mcp_tracker_settings.ts";
import { instrumentTransport } from "./_instrument_mcp_transport.ts";
import type { AuditSink } from "./audit_sink.ts";
import type { McpAuditOptions, McpAuthInfo } from "./mcp_audit_options.ts";

/**
 * A JSON-RPC message as an MCP transport carries it: a request, a
 * notification or a response.
 *
 * @example A tools/call request
 * ```ts
 * import type { McpMessage } from "@calltrail/audit/mcp";
 *
 * const request: McpMessage = {
 *   jsonrpc: "2.0",
 *   id: 1,
 *   method: "tools/call",
 *   params: { name: "add", arguments: { a: 1, b: 2 } },
 * };
 * ```
 */
export interface McpMessage {
  /** Always `"2.0"`. */
  readonly jsonrpc: "2.0";
  /** The id of a request, and of the response that answers it. */
  readonly id?: string | number;
  /** The method of a request or a notification. */
  readonly method?: string;
  /** The parameters of a request or a notification. */
  readonly params?: { readonly [key: string]: unknown };
  /** The result of a response. */
  readonly result?: { readonly [key: string]: unknown };
  /** The error of an error response. */
  readonly error?: {
    readonly code: number;
    readonly message: string;
    readonly data?: unknown;
  };
}

/**
 * What a transport hands `onmessage` beside a message (the SDK's
 * `MessageExtraInfo`).
 *
 * @example Credentials of an authenticated request
 * ```ts
 * import type { McpMessageExtraInfo } from "@calltrail/audit/mcp";
 *
 * const info: McpMessageExtraInfo = {
 *   authInfo: { token: "t", clientId: "agent-7", scopes: ["notes.read"] },
 * };
 * ```
 */
export interface McpMessageExtraInfo {
  /** The caller's credentials, from a transport that authenticates. */
  readonly authInfo?: McpAuthInfo;
  /** The HTTP request that carried the message. */
  readonly requestInfo?: {
    /** The request's headers. */
    readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
    /** The request's URL. */
    readonly url?: URL;
  };
}

/**
 * An MCP transport: the SDK's `Transport` interface (SDK 1.x and 2.x), as far
 * as calltrail uses it.
 *
 * @example A transport that a test drives by hand
 * ```ts
 * import type { McpMessage, McpTransportLike } from "@calltrail/audit/mcp";
 *
 * const sent: McpMessage[] = [];
 * const transport: McpTransportLike = {
 *   start: async () => {},
 *   send: async (message) => void sent.push(message),
 * };
 * ```
 */
export interface McpTransportLike {
  /** Starts delivering messages to `onmessage`. */
  start(): Promise<void>;
  /**
   * Sends a message to the peer.
   *
   * @param message The message.
   * @param options Transport options, passed through untouched.
   */
  send(message: McpMessage, options?: unknown): Promise<void>;
  /**
   * Called with each message from the peer.
   *
   * @param message The message.
   * @param extra Credentials and HTTP details, when the transport has them.
   */
  onmessage?(message: McpMessage, extra?: McpMessageExtraInfo): void;
  /** Called when the connection closes. */
  onclose?(): void;
  /** The session id, on transports that have sessions. */
  readonly sessionId?: string | undefined;
}

/**
 * Audits every `tools/call` that passes through an MCP transport: one event
 * per request, from its arrival to its response, its cancellation or the end
 * of the connection, with the outcomes of {@linkcode auditMcpServer}, as far
 * as the messages tell them: a result with `isError: true` counts as a tool
 * error (`TOOL_ERROR`), whether the tool failed or, on servers that answer
 * that way, it was unknown or its arguments were invalid.
 *
 * Use it for an MCP server that is not an `McpServer` or `Server` of
 * `@modelcontextprotocol/sdk` 1.x (SDK 2, another implementation): any
 * server that talks through the SDK's `Transport` interface. For SDK 1.x
 * servers prefer {@linkcode auditMcpServer}, which also tells unknown tools
 * and invalid arguments apart.
 *
 * The transport is changed in place and returned: `send`, `start` and the
 * callbacks its server installs are wrapped. Call it before the server
 * connects to the transport.
 *
 * @param transport The transport, before a server connects to it.
 * @param sink Where events go: any {@linkcode AuditSink}.
 * @param options Override the caller, capabilities, tier and tool id.
 * @returns The same transport.
 * @throws {TypeError} When `transport` is not a transport, `sink` has no
 * `onCall`, or an option is not a function.
 *
 * @example Audit the messages of a hand-driven transport
 * ```ts
 * import { MemoryAuditSink } from "@calltrail/audit";
 * import { auditMcpTransport, type McpTransportLike } from "@calltrail/audit/mcp";
 * import assert from "node:assert/strict";
 *
 * const sink = new MemoryAuditSink();
 * const transport: McpTransportLike = auditMcpTransport({
 *   start: async () => {},
 *   send: async () => {},
 * }, sink);
 * // What a server does when it connects: install callbacks, then start.
 * transport.onmessage = () => {};
 * await transport.start();
 *
 * // A request arrives; the server answers it.
 * transport.onmessage({
 *   jsonrpc: "2.0",
 *   id: 7,
 *   method: "tools/call",
 *   params: { name: "add", arguments: { a: 1, b: 2 } },
 * });
 * await transport.send({
 *   jsonrpc: "2.0",
 *   id: 7,
 *   result: { content: [{ type: "text", text: "3" }] },
 * });
 *
 * assert.equal(sink.events.length, 1);
 * assert.equal(sink.events[0].tool_id, "add");
 * assert.deepEqual(sink.events[0].outcome, { kind: "success" });
 * ```
 */
export function auditMcpTransport<T extends McpTransportLike>(
  transport: T,
  sink: AuditSink,
  options: McpAuditOptions = {},
): T {
  if (
    typeof transport?.send !== "function" ||
    typeof transport.start !== "function"
  ) {
    throw new TypeError(
      "calltrail: auditMcpTransport() needs an MCP transport (an object with start and send) as its first argument, before a server connects to it.",
    );
  }
  const settings = trackerSettings("auditMcpTransport", sink, options);
  instrumentTransport(transport, settings, false);
  return transport;
}
