/**
 * What the export formats carry, and the refusal when one cannot carry a
 * value exactly. A value is bytes; each format carries only what its
 * readers decode back to the same bytes:
 *
 * | format | carries |
 * |---|---|
 * | `files` | any bytes |
 * | `k8s` | any bytes (base64 `data`), 1 MiB in all |
 * | `shell` | any bytes but NUL (bash and dash keep bytes as they are) |
 * | `json`, `yaml` | UTF-8 text (NUL escaped) |
 * | `github` | UTF-8 text without NUL (it becomes an environment variable) |
 * | `dotenv` | UTF-8 text that one quoting reads back in every common reader (see dotenv-quote.ts) |
 */
import { LockstepError } from "../errors.js";
import { hasNul, utf8Text } from "./bytes.js";
import { dotenvForm, dotenvRefusalReason } from "./dotenv-quote.js";

/** Every export format. */
export const EXPORT_FORMATS = ["dotenv", "json", "yaml", "shell", "k8s", "github", "files"] as const;
/** One export format. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One value to publish: the variable it exports as, the secret it comes from, and its bytes. */
export interface ExportEntry {
  /** Variable name (the manifest's `env:`, or the default). */
  readonly name: string;
  /** The secret's id, for messages. */
  readonly id: string;
  /** The value, exactly. */
  readonly value: Uint8Array;
}

/** `MaxSecretSize` of Kubernetes (pkg/apis/core/types.go), bytes. */
const K8S_MAX_BYTES = 1024 * 1024;

/**
 * What carries values: an export format, or `environment`, a process's
 * environment (`exec`, and the library's `export`), which holds text
 * without NUL.
 */
export type Carrier = ExportFormat | "environment";

/** Whether `format` carries `value` exactly (on its own; k8s's limit is on the total). */
export function carries(format: Carrier, value: Uint8Array): boolean {
  const text = utf8Text(value);
  switch (format) {
    case "files":
      return true;
    case "k8s":
      return value.length <= K8S_MAX_BYTES;
    case "shell":
      return !hasNul(value);
    case "json":
    case "yaml":
      return text !== undefined;
    case "github":
    case "environment":
      return text !== undefined && !hasNul(value);
    case "dotenv":
      return text !== undefined && dotenvForm(text) !== undefined;
  }
}

/** The formats that carry `value` exactly, in {@link EXPORT_FORMATS} order. */
export function formatsCarrying(value: Uint8Array): ExportFormat[] {
  return EXPORT_FORMATS.filter((f) => carries(f, value));
}

/** Why `format` does not carry `value`: which kind of content (never the content). */
function reasonFor(format: Carrier, value: Uint8Array): string {
  const text = utf8Text(value);
  const nul = "it holds a NUL byte, which no environment variable can";
  if (format === "k8s") return "it is over 1 MiB, the most a Kubernetes Secret holds";
  if (format === "shell") return nul;
  if (text === undefined) return "it is not UTF-8 text";
  if (hasNul(value)) return nul;
  if (format === "dotenv") {
    return `${dotenvRefusalReason(text)}, and no dotenv quoting reads that back exactly in every common reader (npm dotenv, dotenvx, python-dotenv, docker-compose, godotenv)`;
  }
  return "its readers would not read it back exactly";
}

/**
 * The error for a value `format` cannot carry: it names the secret, the
 * variable, why, and the formats that do carry it.
 */
export function cannotCarry(entry: ExportEntry, format: Carrier): LockstepError {
  const others = formatsCarrying(entry.value).filter((f) => f !== format);
  const what = format === "environment" ? "an environment variable" : `--format ${format}`;
  return new LockstepError(
    "UNREPRESENTABLE_VALUE",
    `${entry.id} (${entry.name}): ${what} cannot carry this value exactly: ${reasonFor(format, entry.value)}`,
    {
      fix:
        others.length > 0
          ? `export it with ${others.map((f) => `--format ${f}`).join(", ")}`
          : "no export format carries this value; lockstep get writes its exact bytes",
    },
  );
}

/**
 * The entry's value as text, for a text format.
 * @throws LockstepError `UNREPRESENTABLE_VALUE` (see {@link cannotCarry})
 *   when `format` does not carry it.
 */
export function entryText(entry: ExportEntry, format: Carrier): string {
  if (!carries(format, entry.value)) throw cannotCarry(entry, format);
  return utf8Text(entry.value) as string;
}
