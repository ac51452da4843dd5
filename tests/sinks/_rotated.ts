// Shared by the rotation tests: the files of a rotating file sink, read in
// order (rotated files sorted by name, then the live file).

import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

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
