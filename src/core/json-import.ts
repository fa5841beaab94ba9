/**
 * The JSON reader of `import --format json`: a JSON object of variable name
 * to value. A string is imported as it reads; anything else (number,
 * boolean, null, array, object) becomes a `json` secret holding its JSON
 * text, with every number exactly as written: `123456789012345678901`
 * stays that (JSON.parse would give 123456789012345680000), `1.10` stays
 * `1.10`. Numbers are read by lossless-json, which keeps each as its text.
 */
import { isLosslessNumber, parse, stringify } from "lossless-json";
import { LockstepError } from "../errors.js";
import { isWellFormedText } from "./bytes.js";
import type { SecretType } from "./model.js";

/** One variable read from a JSON import. */
export interface JsonImportEntry {
  key: string;
  value: string;
  type: SecretType;
}

/**
 * Parses the JSON text of an import.
 * @throws LockstepError `INVALID_VALUE` for text that is no JSON object
 *   (naming the line), a key given twice with different values, or a string
 *   with a lone surrogate escape (`"\ud800"`), which no UTF-8 value can hold.
 */
export function parseJsonImport(text: string, source: string): JsonImportEntry[] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    // lossless-json quotes the character it stopped at, which may be part of a value: left out.
    const message = (e as Error).message.replace(/ but got '[^']*'/g, "").replace(/character '[^']*'/g, "character");
    const at = /position (\d+)/.exec(message);
    const line = at ? text.slice(0, Number(at[1])).split("\n").length : undefined;
    throw new LockstepError("INVALID_VALUE", `${source}${line ? `:${line}` : ""}: not valid JSON: ${message}`, {
      file: source,
      ...(line !== undefined && { line }),
      fix: 'pass a JSON object of variable name to value, e.g. {"DB_PASSWORD": "..."}',
      cause: e,
    });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data) || isLosslessNumber(data)) {
    throw new LockstepError("INVALID_VALUE", `${source}: expected a JSON object of variable name to value`, {
      file: source,
      fix: 'pass a JSON object of variable name to value, e.g. {"DB_PASSWORD": "..."}',
    });
  }
  return Object.entries(data).map(([key, v]): JsonImportEntry => {
    if (typeof v === "string") {
      if (!isWellFormedText(v)) {
        throw new LockstepError("INVALID_VALUE", `${source}: the string of ${key} holds a lone surrogate escape`, {
          file: source,
          fix: "a value is UTF-8 text: write the character itself, or both halves of its surrogate pair",
        });
      }
      return { key, value: v, type: "string" };
    }
    return { key, value: stringify(v) as string, type: "json" };
  });
}
