// Deno only: types for the subpaths of @modelcontextprotocol/sdk that this
// repository imports. The SDK's exports map sends the types of every
// "./*.js" subpath to "*.js.d.ts", which does not exist; tsc falls back to
// typesVersions, Deno does not (typescript-sdk issue #2701). Each
// declaration below re-exports the extensionless subpath, whose types
// resolve. TypeScript uses them only where the real types cannot be found,
// so they go unused once the SDK is fixed. deno.json lists this file in
// compilerOptions.types; nothing published uses it.

declare module "@modelcontextprotocol/sdk/server/mcp.js" {
  export * from "@modelcontextprotocol/sdk/server/mcp";
}
declare module "@modelcontextprotocol/sdk/server/stdio.js" {
  export * from "@modelcontextprotocol/sdk/server/stdio";
}
declare module "@modelcontextprotocol/sdk/client/stdio.js" {
  export * from "@modelcontextprotocol/sdk/client/stdio";
}
declare module "@modelcontextprotocol/sdk/inMemory.js" {
  export * from "@modelcontextprotocol/sdk/inMemory";
}
declare module "@modelcontextprotocol/sdk/types.js" {
  export * from "@modelcontextprotocol/sdk/types";
}
