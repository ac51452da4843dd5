// `npm run test:deno`: Deno's test runner with its dot reporter, whose dots
// (one per line when the output is not a terminal) are left out, so that a
// passing run prints its summary alone and a failing one its failures.
//
//   node scripts/deno_test.ts [deno test arguments...]

import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = join(ROOT, "node_modules", ".bin", "deno");
/** A line with nothing but a dot, in any colours (ANSI escapes). */
// deno-lint-ignore no-control-regex
const DOT = /^(?:\x1b\[[\d;]*m)*\.(?:\x1b\[[\d;]*m)*$/;

const child = spawn(
  DENO,
  [
    "test",
    "--allow-all",
    "--quiet",
    "--reporter=dot",
    ...process.argv.slice(2),
  ],
  { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
);
for (
  const [from, to] of [[child.stdout, process.stdout], [
    child.stderr,
    process.stderr,
  ]] as const
) {
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    if (!DOT.test(line)) to.write(line + "\n");
  });
}
child.on("close", (code, signal) => {
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
