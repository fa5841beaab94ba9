/**
 * Rendering exported values in each format of `lockstep export`. Pure
 * functions from entries (variable name, secret id, value bytes) to the
 * bytes of the output; where it goes is the caller's business. A format
 * that cannot carry a value exactly refuses it (see export-entry.ts); none
 * ever writes something its readers would read back differently.
 */
import { textBytes } from "./bytes.js";
import { dotenvQuote } from "./dotenv-quote.js";
import { cannotCarry, carries, type ExportEntry, entryText } from "./export-entry.js";
import { type K8sOptions, renderK8sSecret } from "./k8s.js";
import { yamlStringMap } from "./yaml-scalars.js";

export {
  cannotCarry,
  carries,
  EXPORT_FORMATS,
  type ExportEntry,
  type ExportFormat,
  formatsCarrying,
} from "./export-entry.js";
export {
  type GithubExport,
  type GithubExportOptions,
  githubEnvTexts,
  maskedParts,
  renderGithubExport,
} from "./github-export.js";
export { checkK8sOptions, defaultSecretName, type K8sOptions } from "./k8s.js";

/** The formats rendered as one output (`files` writes a folder, `github` two outputs). */
export type TextFormat = "dotenv" | "shell" | "json" | "yaml" | "k8s";

const QUOTE = 0x27;
const ESCAPED_QUOTE = textBytes(`'\\''`);

/**
 * A POSIX shell word for any bytes but NUL: single-quoted, with `'` written
 * as `'\''`. Inside single quotes bash and dash keep every byte as it is.
 */
export function shellQuoteBytes(value: Uint8Array): Uint8Array {
  let quotes = 0;
  for (const b of value) if (b === QUOTE) quotes++;
  const out = new Uint8Array(value.length + 2 + quotes * (ESCAPED_QUOTE.length - 1));
  let o = 0;
  out[o++] = QUOTE;
  for (const b of value) {
    if (b === QUOTE) {
      out.set(ESCAPED_QUOTE, o);
      o += ESCAPED_QUOTE.length;
    } else {
      out[o++] = b;
    }
  }
  out[o++] = QUOTE;
  return out;
}

/** A POSIX shell word for text: single-quoted, with `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Renders entries in a text format.
 * @param k8s the Secret's name, namespace and labels (`k8s` only; required there).
 * @throws LockstepError `UNREPRESENTABLE_VALUE` naming the first secret the
 *   format cannot carry and the formats that can; for `k8s`, see {@link renderK8sSecret}.
 */
export function renderExport(format: TextFormat, entries: readonly ExportEntry[], k8s?: K8sOptions): Uint8Array {
  switch (format) {
    case "dotenv":
      return textBytes(entries.map((e) => `${e.name}=${dotenvQuote(entryText(e, "dotenv"))}\n`).join(""));
    case "shell":
      return concat(
        entries.flatMap((e) => {
          if (!carries("shell", e.value)) throw cannotCarry(e, "shell");
          return [textBytes(`export ${e.name}=`), shellQuoteBytes(e.value), textBytes("\n")];
        }),
      );
    case "json":
      return textBytes(
        `${JSON.stringify(Object.fromEntries(entries.map((e) => [e.name, entryText(e, "json")])), null, 2)}\n`,
      );
    case "yaml":
      return textBytes(yamlStringMap(entries.map((e) => [e.name, entryText(e, "yaml")] as const)));
    case "k8s":
      if (k8s === undefined) throw new TypeError("the k8s format needs the Secret's name");
      return textBytes(renderK8sSecret(entries, k8s));
  }
}
