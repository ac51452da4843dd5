// The two SDKs the MCP tests run against: the lowest supported
// (@modelcontextprotocol/sdk 1.21.0, installed as "mcp-sdk-1.21") and the
// newest 1.x (installed as "@modelcontextprotocol/sdk"), each with the zod
// its McpServer takes (zod 3 for 1.21, zod 4 for the newest), behind one
// loose facade so that one suite runs on both. Plus the helpers the suites
// share: a client connected over InMemoryTransport (with authInfo), and
// waiting for events.

import { Client as ClientNew } from "@modelcontextprotocol/sdk/client";
import { InMemoryTransport as InMemoryNew } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server as ServerNew } from "@modelcontextprotocol/sdk/server";
import { McpServer as McpServerNew } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as typesNew from "@modelcontextprotocol/sdk/types.js";
import { Client as ClientOld } from "mcp-sdk-1.21/client";
import { InMemoryTransport as InMemoryOld } from "mcp-sdk-1.21/inMemory.js";
import { Server as ServerOld } from "mcp-sdk-1.21/server";
import { McpServer as McpServerOld } from "mcp-sdk-1.21/server/mcp.js";
import * as typesOld from "mcp-sdk-1.21/types.js";
import { readFileSync } from "node:fs";
import { z as z4 } from "zod";
import { z as z3 } from "zod/v3";
import type { CallEvent, MemoryAuditSink } from "../mod.ts";
import type { McpAuthInfo, McpTransportLike } from "../mcp.ts";
import { tick } from "./_helpers.ts";

/** The version of an installed package, from its package.json. */
function versionOf(name: string): string {
  const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

type Info = { name: string; version: string };
type Json = Record<string, unknown>;

/** A tool's result, as a tool callback returns it. */
export interface ToolResult {
  content: { type: "text"; text: string }[];
  isError?: boolean;
  structuredContent?: Json;
}

/** The SDK's RegisteredTool, as the tests use it. */
export interface Tool {
  disable(): void;
  enable(): void;
  remove(): void;
}

/** The low-level Server (or a Client's Protocol), as the tests use it. */
export interface Protocol {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
  readonly transport?: Transport;
}

/** The low-level Server, as the tests use it. */
export interface LowServer extends Protocol {
  setRequestHandler(
    schema: unknown,
    handler: (request: { params: Json }, extra: Json) => unknown,
  ): void;
}

/** McpServer, as the tests use it. */
export interface HighServer {
  readonly server: LowServer;
  registerTool(
    name: string,
    config: { inputSchema?: Json; outputSchema?: Json; description?: string },
    callback: (...args: never[]) => ToolResult | Promise<ToolResult>,
  ): Tool;
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** A transport, as the tests use it. */
export interface Transport extends McpTransportLike {
  close(): Promise<void>;
  sessionId?: string;
}

/** The SDK's Client, as the tests use it. */
export interface SdkClient extends Protocol {
  callTool(
    params: { name: string; arguments?: Json },
    resultSchema?: unknown,
    options?: { signal?: AbortSignal; timeout?: number },
  ): Promise<Json>;
  listTools(): Promise<Json>;
  ping(): Promise<unknown>;
}

/** One SDK version and the zod its McpServer takes. */
export interface Sdk {
  /** The SDK's version, from its package.json. */
  version: string;
  McpServer: new (info: Info, options?: Json) => HighServer;
  Server: new (info: Info, options?: Json) => LowServer;
  Client: new (info: Info, options?: Json) => SdkClient;
  linkedPair(): [Transport, Transport];
  CallToolRequestSchema: unknown;
  McpError: new (code: number, message: string) => Error;
  /** zod 4 for the newest SDK, zod 3 (zod/v3) for 1.21: same API here. */
  z: typeof z4;
  /** Whether McpServer takes `maxToolInputElements` (newest only). */
  hasMaxToolInputElements: boolean;
}

export const SDKS: readonly Sdk[] = [
  {
    version: versionOf("mcp-sdk-1.21"),
    McpServer: McpServerOld as unknown as Sdk["McpServer"],
    Server: ServerOld as unknown as Sdk["Server"],
    Client: ClientOld as unknown as Sdk["Client"],
    linkedPair: () =>
      InMemoryOld.createLinkedPair() as unknown as [Transport, Transport],
    CallToolRequestSchema: typesOld.CallToolRequestSchema,
    McpError: typesOld.McpError,
    z: z3 as unknown as typeof z4,
    hasMaxToolInputElements: false,
  },
  {
    version: versionOf("@modelcontextprotocol/sdk"),
    McpServer: McpServerNew as unknown as Sdk["McpServer"],
    Server: ServerNew as unknown as Sdk["Server"],
    Client: ClientNew as unknown as Sdk["Client"],
    linkedPair: () =>
      InMemoryNew.createLinkedPair() as unknown as [Transport, Transport],
    CallToolRequestSchema: typesNew.CallToolRequestSchema,
    McpError: typesNew.McpError,
    z: z4,
    hasMaxToolInputElements: true,
  },
];

/** What {@link connectClient} returns. */
export interface Connection {
  client: SdkClient;
  /** The server's side of the linked pair. */
  serverSide: Transport;
}

/**
 * Connects a new Client to `server` over InMemoryTransport. Every message
 * the client sends carries `authInfo` (InMemoryTransport's `send` hands it
 * to the server's `onmessage`, as an authenticating transport would);
 * `sessionId` is set on the server's side of the pair.
 */
export async function connectClient(
  sdk: Sdk,
  server: { connect(transport: Transport): Promise<void> },
  options: { authInfo?: McpAuthInfo; sessionId?: string } = {},
): Promise<Connection> {
  const [clientSide, serverSide] = sdk.linkedPair();
  if (options.sessionId !== undefined) serverSide.sessionId = options.sessionId;
  if (options.authInfo !== undefined) {
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, sendOptions) =>
      send(message, { ...(sendOptions as object), authInfo: options.authInfo });
  }
  await server.connect(serverSide);
  const client = new sdk.Client({ name: "test-client", version: "1.0.0" });
  await client.connect(clientSide);
  return { client, serverSide };
}

/**
 * Waits until `sink` holds `count` events (events of an `isError` result may
 * come a few microtasks after the response) and returns them; fails after
 * two seconds.
 */
export async function eventsOf(
  sink: MemoryAuditSink,
  count: number,
): Promise<CallEvent[]> {
  for (let waited = 0; sink.events.length < count; waited += 5) {
    if (waited > 2000) {
      throw new Error(
        `expected ${count} events, got ${sink.events.length}: ${
          JSON.stringify(sink.events)
        }`,
      );
    }
    await tick(5);
  }
  return sink.events;
}

/** A promise with its resolve function, to hold a tool until a test lets go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A text result. */
export function text(value: string, isError?: boolean): ToolResult {
  return isError === undefined
    ? { content: [{ type: "text", text: value }] }
    : { content: [{ type: "text", text: value }], isError };
}
