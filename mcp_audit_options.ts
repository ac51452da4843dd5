import type { Tier } from "./types.ts";

/**
 * The caller's credentials, as an authenticating MCP transport gives them
 * (the SDK's `AuthInfo`). calltrail reads `clientId` and `scopes`.
 *
 * @example Credentials from a bearer token
 * ```ts
 * import type { McpAuthInfo } from "@calltrail/audit/mcp";
 *
 * const auth: McpAuthInfo = {
 *   token: "opaque",
 *   clientId: "agent-7",
 *   scopes: ["notes.read"],
 * };
 * ```
 */
export interface McpAuthInfo {
  /** The access token. calltrail never reads it. */
  readonly token?: string;
  /** The OAuth client the token was issued to: the default `caller_id`. */
  readonly clientId?: string;
  /** The scopes the token grants: the default `granted_capabilities`. */
  readonly scopes?: readonly string[];
  /** When the token expires, in seconds since the epoch. */
  readonly expiresAt?: number;
  /** The resource server the token is meant for. */
  readonly resource?: URL;
  /** Anything else the verifier attached. */
  readonly extra?: Record<string, unknown>;
}

/**
 * What calltrail knows of a `tools/call` request when it builds the request's
 * event: the fields of the SDK's `RequestHandlerExtra` that come with the
 * request itself, with the same names and values.
 *
 * @example Read the caller from an HTTP header
 * ```ts
 * import type { McpRequestExtra } from "@calltrail/audit/mcp";
 *
 * function caller(_name: string, extra: McpRequestExtra): string | undefined {
 *   const header = extra.requestInfo?.headers?.["x-agent-id"];
 *   return typeof header === "string" ? header : extra.authInfo?.clientId;
 * }
 * caller("add", { requestId: 1, requestInfo: { headers: { "x-agent-id": "a-7" } } });
 * ```
 */
export interface McpRequestExtra {
  /** The request's JSON-RPC id. */
  readonly requestId: string | number;
  /** The transport's session id: set by Streamable HTTP, absent on stdio. */
  readonly sessionId?: string;
  /** The caller's credentials, from a transport that authenticates. */
  readonly authInfo?: McpAuthInfo;
  /** The HTTP request that carried the message, from an HTTP transport. */
  readonly requestInfo?: {
    /** The request's headers. */
    readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
    /** The request's URL. */
    readonly url?: URL;
  };
  /** The request's `_meta` (`params._meta`). */
  readonly _meta?: Readonly<Record<string, unknown>>;
}

/**
 * Options of {@linkcode auditMcpServer} and {@linkcode auditMcpTransport}.
 * Each function is called once per `tools/call` request, with the requested
 * tool's name and the request's {@linkcode McpRequestExtra}, when its event
 * is built; each replaces one default. A function that throws gets its
 * default and is reported to `onError`.
 *
 * @example Callers from an HTTP header, a tier per tool
 * ```ts
 * import type { McpAuditOptions } from "@calltrail/audit/mcp";
 *
 * const options: McpAuditOptions = {
 *   caller: (_name, extra) => {
 *     const header = extra.requestInfo?.headers?.["x-agent-id"];
 *     return typeof header === "string" ? header : extra.sessionId;
 *   },
 *   tier: (name) => (name.startsWith("search_") ? "cold" : "hot"),
 *   toolId: (name) => `mcp:notes.${name}`,
 * };
 * ```
 */
export interface McpAuditOptions {
  /**
   * The event's `caller_id`; `undefined` leaves it out.
   *
   * @default {`extra.authInfo.clientId`, else `extra.sessionId`, else left out}
   */
  caller?(name: string, extra: McpRequestExtra): string | undefined;
  /**
   * The event's `granted_capabilities` (sorted and de-duplicated in the
   * event).
   *
   * @default {`extra.authInfo.scopes`, else `[]`}
   */
  capabilities?(name: string, extra: McpRequestExtra): readonly string[];
  /**
   * The event's `tier`.
   *
   * @default {"hot"}
   */
  tier?(name: string, extra: McpRequestExtra): Tier;
  /**
   * The event's `tool_id`.
   *
   * @default {the requested tool's name}
   */
  toolId?(name: string, extra: McpRequestExtra): string;
  /**
   * Called with each error of the audit itself: an option that threw, a sink
   * whose `onCall` threw. The server never sees these errors.
   *
   * @default {a short line on console.error, at most once a second}
   */
  onError?(error: Error): void;
}
