// Fails when deno.json, jsr.json and package.json disagree on what they
// share: JSR publishes from either Deno file, npm from package.json.
// Run: node scripts/check_manifests.ts

import { readFileSync } from "node:fs";

type Manifest = Record<string, unknown>;
const read = (path: string): Manifest =>
  JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), "utf8"));

const deno = read("deno.json");
const jsr = read("jsr.json");
const pkg = read("package.json");
const problems: string[] = [];

const same = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);
const compare = (
  key: string,
  left: [string, Manifest],
  right: [string, Manifest],
): void => {
  const [leftName, leftValue] = [left[0], left[1][key]];
  const [rightName, rightValue] = [right[0], right[1][key]];
  if (leftValue === undefined) problems.push(`${leftName} has no "${key}"`);
  if (!same(leftValue, rightValue)) {
    problems.push(
      `"${key}" differs: ${leftName} has ${
        JSON.stringify(leftValue)
      }, ${rightName} has ${JSON.stringify(rightValue)}`,
    );
  }
};

for (
  const key of ["name", "version", "license", "exports", "imports", "publish"]
) {
  compare(key, ["deno.json", deno], ["jsr.json", jsr]);
}
for (const key of ["name", "version", "license"]) {
  compare(key, ["deno.json", deno], ["package.json", pkg]);
}
// npm runs the build of each JSR entry point: "./x.ts" is "./dist/x.js",
// typed by "./dist/x.d.ts"; the CLI's build is also the `calltrail` command.
const denoExports = (deno.exports ?? {}) as Record<string, string>;
const built = (source: string, extension: string): string =>
  source.replace(/^\.\//, "./dist/").replace(/\.ts$/, extension);
const npmExports = (pkg.exports ?? {}) as Record<string, unknown>;
for (const [entry, source] of Object.entries(denoExports)) {
  const expected = {
    types: built(source, ".d.ts"),
    default: built(source, ".js"),
  };
  if (!same(npmExports[entry], expected)) {
    problems.push(
      `package.json's exports["${entry}"] is ${
        JSON.stringify(npmExports[entry])
      }; deno.json exports ${source}, whose build is ${
        JSON.stringify(expected)
      }`,
    );
  }
}
for (const entry of Object.keys(npmExports)) {
  if (!(entry in denoExports)) {
    problems.push(`package.json exports "${entry}", which deno.json does not`);
  }
}
if ("./cli" in denoExports) {
  const bin = (pkg.bin as Record<string, string> | undefined)?.calltrail;
  if (bin !== built(denoExports["./cli"], ".js")) {
    problems.push(
      `package.json's bin "calltrail" is ${JSON.stringify(bin)}; it should be ${
        JSON.stringify(built(denoExports["./cli"], ".js"))
      }`,
    );
  }
}

const zod = (pkg.dependencies as Record<string, string> | undefined)?.zod;
const mapped = (deno.imports as Record<string, string> | undefined)?.zod;
if (mapped !== `npm:zod@${zod}`) {
  problems.push(
    `zod versions differ: package.json has ${zod}, deno.json maps "zod" to ${mapped}`,
  );
}

const { VERSION } = await import("../_version.ts");
if (VERSION !== pkg.version) {
  problems.push(
    `_version.ts has VERSION ${VERSION}, package.json has version ${pkg.version}`,
  );
}

// The MCP SDK: an optional peer dependency (SPEC §5.1), and a devDependency
// for the tests.
const SDK = "@modelcontextprotocol/sdk";
const section = (key: string) =>
  (pkg[key] ?? {}) as Record<string, { optional?: boolean } | string>;
if (section("peerDependencies")[SDK] === undefined) {
  problems.push(`package.json has no peerDependencies entry for ${SDK}`);
}
if (
  (section("peerDependenciesMeta")[SDK] as { optional?: boolean })?.optional !==
    true
) {
  problems.push(
    `package.json's peerDependenciesMeta must mark ${SDK} optional`,
  );
}
if (section("devDependencies")[SDK] === undefined) {
  problems.push(`package.json has no devDependencies entry for ${SDK}`);
}

if (problems.length > 0) {
  console.error("Manifests disagree:\n- " + problems.join("\n- "));
  console.error(
    "Make deno.json, jsr.json and package.json agree, then run again.",
  );
  process.exit(1);
}
console.log("deno.json, jsr.json, package.json and _version.ts agree.");
