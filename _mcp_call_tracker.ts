// Internal: follows the `tools/call` requests of one MCP connection, from
// each request's arrival to its response, its cancellation or the end of
// the connection, and hands exactly one event per request to the sink. It
// sees JSON-RPC messages only (see _instrument_mcp_transport.ts): arguments
// and results pass by and are never put on an event.

import { errorMessage } from "./_error_message.ts";
import { ulid } from "./_ulid.ts";
import { createCallEvent } from "./create_call_event.ts";
import type {
  McpAuditOptions,
  McpAuthInfo,
  McpRequestExtra,
} from "./mcp_audit_options.ts";
import {
  TOOL_ERROR,
  TOOL_NOT_FOUND,
  toolErrorOutcome,
} from "./_mcp_tool_error_outcome.ts";
import type { RegisteredToolLike } from "./_mcp_tool_registry.ts";
import type { TrackerSettings } from "./_mcp_tracker_settings.ts";
import type { Outcome, Tier } from "./types.ts";

type RequestId = string | number;

/** What a transport hands `onmessage` beside the message. */
export interface MessageInfo {
  readonly authInfo?: McpAuthInfo;
  readonly requestInfo?: McpRequestExtra["requestInfo"];
}

/** A `tools/call` request that has not been answered yet. */
interface Pending {
  readonly id: RequestId;
  readonly name: string;
  /** `performance.now()` at the request's arrival. */
  readonly start: number;
  readonly params: { readonly arguments?: unknown; readonly _meta?: unknown };
  readonly info: MessageInfo | undefined;
  /** The registry's tool at arrival: null for none; undefined: no registry. */
  readonly tool: RegisteredToolLike | null | undefined;
  /** An earlier request with the same id, still pending. */
  older: Pending | undefined;
}

const SUCCESS: Outcome = Object.freeze({ kind: "success" });
const CANCELLED: Outcome = Object.freeze({
  kind: "execution_failed",
  code: "CANCELLED",
  retryable: true,
});
const NO_PARAMS: NonNullable<RequestMessage["params"]> = Object.freeze({});

/** The tracker of one connection: feed it every message in and out. */
export class McpCallTracker {
  readonly #settings: TrackerSettings;
  readonly #transport: { readonly sessionId?: string };
  readonly #pending = new Map<RequestId, Pending>();
  readonly #needsExtra: boolean;

  constructor(settings: TrackerSettings, transport: { sessionId?: string }) {
    this.#settings = settings;
    this.#transport = transport;
    const { caller, capabilities, tier, toolId } = settings.options;
    this.#needsExtra = caller !== undefined || capabilities !== undefined ||
      tier !== undefined || toolId !== undefined;
  }

  /** A message from the client. Never throws. */
  received(message: unknown, info: MessageInfo | undefined): void {
    if (typeof message !== "object" || message === null) return;
    try {
      const { method } = message as { method?: unknown };
      if (method === "tools/call") {
        this.#request(message as RequestMessage, info);
      } else if (method === "notifications/cancelled") {
        const params = (message as { params?: { requestId?: unknown } }).params;
        this.#cancelled(params?.requestId);
      }
    } catch (error) {
      this.#failed(error);
    }
  }

  /** A message to the client. Never throws. */
  sent(message: unknown): void {
    if (this.#pending.size === 0) return;
    if (typeof message !== "object" || message === null) return;
    try {
      const response = message as ResponseMessage;
      if (response.method !== undefined) return;
      const entry = this.#takeOldest(response.id);
      if (entry === undefined) return;
      const end = performance.now();
      const { result, error } = response;
      if (error !== undefined) {
        const code = (error as { code?: unknown })?.code;
        this.#emit(
          entry,
          entry.tool === null ? TOOL_NOT_FOUND : {
            kind: "execution_failed",
            code: `MCP_ERROR_${Number.isSafeInteger(code) ? code : "UNKNOWN"}`,
            retryable: false,
          },
          end,
        );
      } else if ((result as { isError?: unknown })?.isError !== true) {
        this.#emit(entry, SUCCESS, end);
      } else {
        this.#toolError(entry, end);
      }
    } catch (error) {
      this.#failed(error);
    }
  }

  /** The connection closed: every request still pending was aborted. */
  closed(): void {
    const end = performance.now();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const newest of pending) {
      for (
        let entry: Pending | undefined = newest;
        entry;
        entry = entry.older
      ) {
        this.#emit(entry, CANCELLED, end);
      }
    }
  }

  #request(message: RequestMessage, info: MessageInfo | undefined): void {
    const id = message.id;
    if (typeof id !== "string" && typeof id !== "number") return;
    const params = message.params ?? NO_PARAMS;
    const name = typeof params.name === "string" ? params.name : "";
    const registry = this.#settings.registry;
    const entry: Pending = {
      id,
      name,
      start: performance.now(),
      params,
      info,
      tool: registry === undefined ? undefined : registry.tool(name),
      older: this.#pending.get(id),
    };
    this.#pending.set(id, entry);
  }

  #cancelled(id: unknown): void {
    if (typeof id !== "string" && typeof id !== "number") return;
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    // The SDK aborts the newest request with this id.
    if (entry.older === undefined) this.#pending.delete(id);
    else this.#pending.set(id, entry.older);
    this.#emit(entry, CANCELLED, performance.now());
  }

  /** Removes and returns the oldest pending request with this id. */
  #takeOldest(id: unknown): Pending | undefined {
    const newest = this.#pending.get(id as RequestId);
    if (newest === undefined) return undefined;
    if (newest.older === undefined) {
      this.#pending.delete(newest.id);
      return newest;
    }
    let before = newest;
    while (before.older!.older !== undefined) before = before.older!;
    const oldest = before.older!;
    before.older = undefined;
    return oldest;
  }

  #toolError(entry: Pending, end: number): void {
    const registry = this.#settings.registry;
    const outcome = toolErrorOutcome(
      entry.tool,
      entry.params.arguments,
      registry?.maxInputElements(),
    );
    if (!(outcome instanceof Promise)) {
      this.#emit(entry, outcome, end);
      return;
    }
    outcome.then(
      (settled) => this.#emit(entry, settled, end),
      () => this.#emit(entry, TOOL_ERROR, end),
    );
  }

  /** Builds the request's event and hands it to the sink. Never throws. */
  #emit(entry: Pending, outcome: Outcome, end: number): void {
    try {
      const { name, info } = entry;
      const { options } = this.#settings;
      const extra = this.#needsExtra ? this.#extra(entry) : undefined;
      const auth = info?.authInfo;
      const toolId = options.toolId === undefined
        ? name
        : this.#option("toolId", name, extra!, name);
      const callerId = options.caller === undefined
        ? defaultCaller(auth, this.#transport.sessionId)
        : this.#option(
          "caller",
          name,
          extra!,
          defaultCaller(auth, this.#transport.sessionId),
        );
      const granted = options.capabilities === undefined
        ? defaultCapabilities(auth)
        : this.#option(
          "capabilities",
          name,
          extra!,
          defaultCapabilities(auth) ?? [],
        );
      const tier = options.tier === undefined
        ? "hot"
        : this.#option("tier", name, extra!, "hot" as Tier);
      const elapsed = end - entry.start;
      this.#settings.sink.onCall(createCallEvent({
        call_id: ulid(),
        tool_id: toolId,
        caller_id: callerId,
        granted_capabilities: granted as string[] | undefined,
        duration_ms: elapsed > 0 ? Math.trunc(elapsed) : 0,
        outcome,
        tier,
      }));
    } catch (error) {
      this.#failed(error);
    }
  }

  /** The value of one option, or `fallback` when it throws. */
  #option<K extends "caller" | "capabilities" | "tier" | "toolId">(
    key: K,
    name: string,
    extra: McpRequestExtra,
    fallback: ReturnType<NonNullable<McpAuditOptions[K]>>,
  ): ReturnType<NonNullable<McpAuditOptions[K]>> {
    const option = this.#settings.options[key] as (
      name: string,
      extra: McpRequestExtra,
    ) => ReturnType<NonNullable<McpAuditOptions[K]>>;
    try {
      const value = option(name, extra);
      // tool_id and tier are required: undefined keeps the default.
      return value === undefined && key !== "caller" ? fallback : value;
    } catch (error) {
      this.#settings.report(
        new Error(
          `calltrail: the ${key} option of ${this.#settings.label}() threw for tool ${
            JSON.stringify(name)
          }: ${
            errorMessage(error)
          }. The event got the default instead; make the option return a value.`,
          { cause: error },
        ),
      );
      return fallback;
    }
  }

  #extra(entry: Pending): McpRequestExtra {
    const { info, params } = entry;
    return {
      requestId: entry.id,
      sessionId: this.#transport.sessionId,
      authInfo: info?.authInfo,
      requestInfo: info?.requestInfo,
      _meta: params._meta as McpRequestExtra["_meta"],
    };
  }

  #failed(error: unknown): void {
    this.#settings.report(
      new Error(
        `calltrail: ${this.#settings.label}() could not audit a tools/call: ${
          errorMessage(error)
        }. The server was not affected.`,
        { cause: error },
      ),
    );
  }
}

interface RequestMessage {
  readonly id?: unknown;
  readonly params?: {
    readonly name?: unknown;
    readonly arguments?: unknown;
    readonly _meta?: unknown;
  };
}

interface ResponseMessage {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

function defaultCaller(
  auth: McpAuthInfo | undefined,
  sessionId: string | undefined,
): string | undefined {
  const clientId = auth?.clientId;
  if (typeof clientId === "string" && clientId !== "") return clientId;
  return typeof sessionId === "string" ? sessionId : undefined;
}

/** The scopes of `auth`; `undefined` (none) makes createCallEvent's `[]`. */
function defaultCapabilities(
  auth: McpAuthInfo | undefined,
): readonly string[] | undefined {
  const scopes = auth?.scopes;
  if (!Array.isArray(scopes)) return undefined;
  for (const scope of scopes) {
    if (typeof scope !== "string") {
      return scopes.filter((s): s is string => typeof s === "string");
    }
  }
  return scopes;
}
