// Shared by the rotation tests: the files of a rotating file sink, read in
// order (rotated files sorted by name, then the live file), and a sink whose
// every rotation fails.

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { FileAuditSink, FileAuditSinkOptions } from "../../mod.ts";
import { makeEvents } from "./children/events.ts";
import { writeBatches } from "./_write_batches.ts";

/** Whether the tests run on Windows, which limits whole paths, not names. */
export const isWindows = (globalThis as { process?: { platform?: string } })
  .process?.platform === "win32";

/** The rotated names of `path`: `<path>.<stamp>`, optionally `-NNNNNN`. */
export const ROTATED = /^\.\d{8}T\d{6}\.\d{3}Z(-\d{6})?$/;

/** The rotated files of `path`, oldest first (sorted by name). */
export async function rotatedFiles(path: string): Promise<string[]> {
  const name = basename(path);
  return (await readdir(dirname(path)))
    .filter((entry) =>
      entry.startsWith(name) && ROTATED.test(entry.slice(name.length))
    )
    .sort()
    .map((entry) => join(dirname(path), entry));
}

/** The rotated files then the live file (when it exists), in order. */
export async function allFiles(path: string): Promise<string[]> {
  const live = await readdir(dirname(path));
  return [
    ...await rotatedFiles(path),
    ...(live.includes(basename(path)) ? [path] : []),
  ];
}

/** Each file's text, in order. */
export async function texts(files: string[]): Promise<string[]> {
  return await Promise.all(files.map((file) => readFile(file, "utf8")));
}

/** The call_id of each line of `text` (whole lines only). */
export function callIds(text: string): string[] {
  return text.split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line).call_id
  );
}

/**
 * Writes 5 events to `path`, one batch each, through a sink that tries to
 * rotate before each batch after the first (`maxBytes: 1`), with `options`,
 * then closes it. Checks what every failed rotation must leave: 4 failures
 * counted, no rotated file, every event once and in order in the live file.
 * Returns the sink and what it reported.
 */
export async function failingRotations(
  path: string,
  options: FileAuditSinkOptions = {},
): Promise<{ sink: FileAuditSink; errors: Error[] }> {
  const errors: Error[] = [];
  const events = makeEvents(5);
  const sink = await writeBatches(path, events.map((e) => [e]), {
    ...options,
    rotate: { maxBytes: 1 },
    onError: (e) => void errors.push(e),
  });
  await sink.close();
  assert.deepEqual(sink.rotations(), { rotated: 0, reopened: 0, failed: 4 });
  assert.equal(errors.length, 4, errors.map((e) => e.message).join("\n"));
  assert.deepEqual(await allFiles(path), [path]);
  assert.deepEqual(
    callIds(await readFile(path, "utf8")),
    events.map((e) => e.call_id),
  );
  return { sink, errors };
}
