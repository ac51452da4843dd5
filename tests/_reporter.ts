// The test reporter for `node --test`: one summary line per run, each
// failure in full (its file, its name, the error with its diff), and what
// the tests themselves print (t.diagnostic lines, a child's stderr). A
// passing run prints little else.
//
//   node --test --test-reporter=./tests/_reporter.ts "tests/**/*_test.ts"

import { relative } from "node:path";
import process from "node:process";
import { inspect } from "node:util";

/** The part of a node:test event this reporter reads. */
interface TestEvent {
  type: string;
  data: {
    name?: string;
    file?: string;
    line?: number;
    message?: string;
    skip?: unknown;
    todo?: unknown;
    details?: {
      type?: string;
      error?: { failureType?: string; cause?: unknown };
    };
  };
}

const where = (data: TestEvent["data"]): string =>
  data.file === undefined
    ? ""
    : `${relative(process.cwd(), data.file)}${
      data.line === undefined ? "" : `:${data.line}`
    }`;

/** Reports the run's events as text. */
export default async function* reporter(
  source: AsyncIterable<TestEvent>,
): AsyncGenerator<string> {
  const started = performance.now();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const { type, data } of source) {
    const isTest = data.details?.type !== "suite";
    switch (type) {
      case "test:pass":
        if (!isTest) break;
        if (data.skip !== undefined || data.todo !== undefined) skipped++;
        else passed++;
        break;
      case "test:fail": {
        const error = data.details?.error;
        // A suite fails when one of its tests did: that test says why.
        if (error?.failureType === "subtestsFailed") break;
        if (isTest) failed++;
        yield `\n✖ ${data.name} (${where(data)})\n${
          inspect(error?.cause ?? error, { depth: 4 })
        }\n`;
        break;
      }
      case "test:diagnostic":
        // The runner's own totals have no file: this summary replaces them.
        if (data.file !== undefined) {
          yield `ℹ ${where(data)}: ${data.message}\n`;
        }
        break;
      case "test:stderr":
      case "test:stdout":
        yield `${where(data)}: ${data.message}`;
        break;
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  yield `node ${process.version}: ${passed} passed, ${failed} failed, ${skipped} skipped (${seconds} s)\n`;
}
