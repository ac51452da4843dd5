// Internal: the Node APIs the CLI runs on (Node, Deno and Bun all have
// them), reached when a command runs, never when a module loads: no module
// touches `process` or a `node:` builtin at its top level (SPEC §4.8), as in
// the library.

/** Node's `process`. */
export type CliProcess = typeof import("node:process");

/** The `process` of this runtime; throws where there is none. */
export function cliProcess(): CliProcess {
  const process = (globalThis as { process?: CliProcess }).process;
  if (process?.getBuiltinModule === undefined) {
    throw new Error(
      "calltrail: the CLI needs Node's process and its built-in modules (Node 22.3 or later, Deno 2 or Bun), and this runtime has none.",
    );
  }
  return process;
}

/** `node:fs/promises`. */
export function cliFs(): typeof import("node:fs/promises") {
  return cliProcess().getBuiltinModule("node:fs/promises");
}

/** `node:util`. */
export function cliUtil(): typeof import("node:util") {
  return cliProcess().getBuiltinModule("node:util");
}
