// Internal: runs synchronous callbacks when the process exits, also through
// process.exit() or Deno.exit(). One listener serves every sink.

import { nodeProcess, runtime } from "../_runtime.ts";

const callbacks = new Set<() => void>();
let installed = false;

/**
 * Runs `callback` once, synchronously, when the process exits (Deno:
 * `unload`; Node and Bun: `process.on("exit")`). On runtimes without a
 * process (workerd, browsers) it does nothing.
 *
 * @returns A function that cancels the callback.
 */
export function onExit(callback: () => void): () => void {
  if (runtime() === "other") return () => {};
  if (!installed) install();
  callbacks.add(callback);
  return () => void callbacks.delete(callback);
}

function install(): void {
  installed = true;
  const run = (): void => {
    for (const callback of callbacks) {
      try {
        callback();
      } catch {
        // The process is ending; each callback reports its own errors.
      }
    }
    callbacks.clear();
  };
  if (runtime() === "deno") {
    globalThis.addEventListener("unload", run);
  } else {
    nodeProcess()?.on("exit", run);
  }
}
