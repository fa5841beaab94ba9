/**
 * Rendering exported values in each format of `lockstep export`. Pure
 * functions from variable name -> value to text; where it goes is the
 * caller's business.
 */
import { randomUUID } from "node:crypto";

/** Variable name -> value, in a stable order. */
export type ExportedValues = Record<string, string>;

/** The text formats (`files` writes a folder instead). */
export type TextFormat = "dotenv" | "shell" | "json" | "yaml" | "k8s";

/** Every export format. */
export const EXPORT_FORMATS = ["dotenv", "json", "yaml", "shell", "k8s", "github", "files"] as const;
/** One export format. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * A dotenv value, quoted so that dotenv tools read it back exactly: single
 * quotes (literal, may span lines) unless the value holds one; else
 * backticks; else double quotes with backslash escapes.
 */
export function dotenvQuote(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes("`")) return `\`${value}\``;
  return `"${value
    .replace(/[\\"$]/g, "\\$&")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")}"`;
}

/** A POSIX shell word: single-quoted, with `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Options of the `k8s` format. */
export interface K8sOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

/** Renders values in a text format. */
export async function renderText(format: TextFormat, values: ExportedValues, k8s?: K8sOptions): Promise<string> {
  const entries = Object.entries(values);
  // The yaml package is loaded only for the formats that need it: it is large, and dotenv exports are the hot path.
  const stringify = async (data: unknown) => (await import("yaml")).stringify(data, { lineWidth: 0 });
  switch (format) {
    case "dotenv":
      return entries.map(([k, v]) => `${k}=${dotenvQuote(v)}\n`).join("");
    case "shell":
      return entries.map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join("");
    case "json":
      return `${JSON.stringify(values, null, 2)}\n`;
    case "yaml":
      return entries.length === 0 ? "{}\n" : stringify(values);
    case "k8s":
      return stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: k8s?.name ?? "secrets",
          ...(k8s?.namespace !== undefined && { namespace: k8s.namespace }),
          ...(k8s?.labels !== undefined && Object.keys(k8s.labels).length > 0 && { labels: k8s.labels }),
        },
        type: "Opaque",
        data: Object.fromEntries(entries.map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")])),
      });
  }
}

/** What the `github` format produces: mask commands for stdout, and text to append to `$GITHUB_ENV`. */
export interface GithubExport {
  masks: string;
  envFile: string;
}

/**
 * The `github` format: `::add-mask::` for every non-empty line of every
 * value (the runner masks line by line), and `$GITHUB_ENV` entries in
 * heredoc form with a random delimiter that occurs in no value.
 */
export function renderGithub(values: ExportedValues): GithubExport {
  const masks: string[] = [];
  for (const v of Object.values(values)) {
    for (const line of v.split(/\r?\n/)) {
      if (line.trim() !== "") masks.push(`::add-mask::${escapeCommandData(line)}\n`);
    }
  }
  const envFile = Object.entries(values)
    .map(([k, v]) => {
      let delimiter = `ghadelimiter_${randomUUID()}`;
      while (v.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
      return `${k}<<${delimiter}\n${v}\n${delimiter}\n`;
    })
    .join("");
  return { masks: masks.join(""), envFile };
}

/** Workflow command data escaping, as the Actions toolkit does it. */
function escapeCommandData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
