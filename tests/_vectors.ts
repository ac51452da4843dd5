// The shared test vectors, copied from the contract into tests/fixtures/.

import { readFileSync } from "node:fs";
import type { CallEvent } from "../mod.ts";

function jsonl<T>(name: string): T[] {
  const text = readFileSync(
    new URL(`./fixtures/${name}`, import.meta.url),
    "utf8",
  );
  return text.split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line)
  );
}

/** An event and the one line a writer must produce for it. */
export interface WriteVector {
  name: string;
  event: CallEvent;
  line: string;
}

/** A line, whether a reader must accept it, and the field it names if not. */
export interface ReadVector {
  name: string;
  line: string;
  ok: boolean;
  field?: string;
}

export const writeVectors: WriteVector[] = jsonl("write.jsonl");
export const readVectors: ReadVector[] = jsonl("read.jsonl");
