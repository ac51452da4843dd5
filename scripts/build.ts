// The npm build, run by `npm pack` and `npm publish` (prepack): removes
// dist/, then compiles the sources with tsc (tsconfig.build.json, then the
// CLI with tsconfig.cli.json) into plain
// JavaScript and .d.ts files there, one per source file.
// Run: npm run build

import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = fileURLToPath(
  new URL("../node_modules/typescript/bin/tsc", import.meta.url),
);

// A fresh dist/: no file of a source that is gone can be shipped.
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
for (const config of ["tsconfig.build.json", "tsconfig.cli.json"]) {
  execFileSync(process.execPath, [tsc, "-p", config], {
    cwd: root,
    stdio: "inherit",
  });
}
