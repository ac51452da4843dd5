// Internal: what an McpServer of @modelcontextprotocol/sdk knows about its
// tools. McpServer answers an unknown tool, a disabled tool and arguments
// that fail the input schema with an `isError` result, the same shape as a
// tool's own error; only its registry tells them apart. The SDK has no
// public way to read the registry, so this file is the one place that reads
// McpServer's private fields. It is tested on SDK 1.21 and the newest 1.x.

/** What calltrail reads of a registered tool (the SDK's `RegisteredTool`). */
export interface RegisteredToolLike {
  /** False once `disable()` was called. */
  readonly enabled?: unknown;
  /** The tool's input schema: a zod object schema in SDK 1.x. */
  readonly inputSchema?: unknown;
}

/** The tools of one McpServer, looked up as McpServer looks them up. */
export interface ToolRegistry {
  /**
   * The tool a `tools/call` for `name` reaches, or `null` when McpServer
   * answers "not found" or "disabled".
   */
  tool(name: string): RegisteredToolLike | null;
  /**
   * McpServer's `maxToolInputElements` (SDK 1.32 and later): a request whose
   * arguments hold more array elements and object members is refused.
   */
  maxInputElements(): number | undefined;
}

/**
 * The registry of `server` (an McpServer), or `undefined` when it has none
 * that calltrail can read: then `isError` results count as tool errors.
 */
export function mcpToolRegistry(server: object): ToolRegistry | undefined {
  const fields = server as {
    _registeredTools?: unknown;
    _maxToolInputElements?: unknown;
  };
  if (typeof fields._registeredTools !== "object") return undefined;
  if (fields._registeredTools === null) return undefined;
  return {
    tool(name) {
      // As McpServer does: plain indexing, then `enabled`.
      const tools = fields._registeredTools as Record<string, unknown>;
      const tool = tools[name] as RegisteredToolLike | undefined;
      return tool && tool.enabled ? tool : null;
    },
    maxInputElements() {
      const max = fields._maxToolInputElements;
      return typeof max === "number" ? max : undefined;
    },
  };
}
