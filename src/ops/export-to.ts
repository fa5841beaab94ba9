/**
 * `export`: an environment's values at a stage, written in a deploy format:
 * to standard output, a file, `$GITHUB_ENV` (with masks), or a folder of
 * files. Plaintext never lands inside the repository's working tree unless
 * forced.
 */

import { utf8Text } from "../core/bytes.js";
import {
  checkK8sOptions,
  defaultSecretName,
  type ExportFormat,
  renderExport,
  renderGithubExport,
} from "../core/export-formats.js";
import { UsageError } from "../errors.js";
import {
  appendPlaintext,
  assertOutsideWorkTree,
  endsMidLine,
  writePlaintextFile,
  writePlaintextFiles,
} from "../storage/plaintext.js";
import { type ExportedSecret, type ExportSelector, exportValues } from "./export.js";
import type { Session } from "./session.js";

/** Options of {@link exportTo}. */
export interface ExportToOptions extends ExportSelector {
  env: string;
  /** Default `dotenv`. */
  format?: ExportFormat;
  /** A file to write (a folder, for `files`, which needs one); default: standard output. */
  out?: string;
  /** For `github`: the file `$GITHUB_ENV` names, to append to. */
  githubEnv?: string;
  /** Write `out` (or `githubEnv`) even inside the repository's working tree. */
  force?: boolean;
  /** For `k8s`: the Secret's name (default `ENV-STAGE`), namespace and labels. */
  k8s?: { name?: string; namespace?: string; labels?: Record<string, string> };
  /**
   * Receives what belongs on standard output: the text, without `out`; the
   * mask commands, with `github` (before `$GITHUB_ENV` is written, so that
   * nothing reaches a log unmasked). Text, or bytes (a `shell` export of
   * values that are not UTF-8). Without it, the output is returned as `stdout`.
   */
  stdout?: (data: string | Uint8Array) => void;
}

/** Where an export went, and what it held (never a value, but on `stdout`). */
export interface ExportToResult {
  env: string;
  stage: string;
  secrets: ExportedSecret[];
  /** `stdout`, `file` (`out`), `github` (`githubEnv`), or `files` (a folder, `out`). */
  to: "stdout" | "file" | "github" | "files";
  /** Output for standard output that no `stdout` callback took: text, or bytes when it is not UTF-8. */
  stdout?: string | Uint8Array;
}

/**
 * Checks a format's needs (`files` a folder, `github` the `$GITHUB_ENV`
 * file, `k8s` valid names and labels), before anything is read.
 * @throws UsageError.
 */
export function checkExportOptions(options: Pick<ExportToOptions, "format" | "out" | "githubEnv" | "k8s">): void {
  if (options.format === "files" && options.out === undefined) throw new UsageError("--format files needs --out DIR");
  if (options.format === "github" && !options.githubEnv) {
    throw new UsageError("--format github appends to $GITHUB_ENV, which is not set", {
      fix: "run it in a GitHub Actions step, or choose another --format",
    });
  }
  if (options.format === "k8s" && options.k8s !== undefined) checkK8sOptions(options.k8s);
}

/**
 * Decrypts the stage's values and writes them in `format`, each value's
 * exact bytes, or refuses a value the format cannot carry (see
 * core/export-entry.ts) before anything is written.
 * @throws UsageError for a missing folder or `$GITHUB_ENV`, an output path inside the working tree, or a Secret name, namespace or label Kubernetes refuses;
 *   LockstepError `UNREPRESENTABLE_VALUE` for a value the format cannot carry, `INVALID_NAME` for a variable name `github` or `k8s` refuses; what {@link exportValues} throws.
 */
export async function exportTo(session: Session, options: ExportToOptions): Promise<ExportToResult> {
  const format = options.format ?? "dotenv";
  checkExportOptions({ ...options, format });
  const force = options.force === true;
  const out =
    options.out === undefined
      ? undefined
      : await assertOutsideWorkTree(session.root, options.out, force, format === "files" ? "folder" : "file");
  const githubEnv =
    format === "github"
      ? await assertOutsideWorkTree(session.root, options.githubEnv as string, force, "append")
      : undefined;
  const result = await exportValues(session, {
    env: options.env,
    ...(options.stage !== undefined && { stage: options.stage }),
    ...(options.consumer !== undefined && { consumer: options.consumer }),
  });
  const { env, stage, secrets, entries } = result;
  const pending: Uint8Array[] = [];
  const stdout = options.stdout ?? ((data: string | Uint8Array) => pending.push(Buffer.from(data)));
  const done = (to: ExportToResult["to"]): ExportToResult => {
    const bytes = Buffer.concat(pending);
    return {
      env,
      stage,
      secrets,
      to,
      ...(options.stdout === undefined && bytes.length > 0 && { stdout: utf8Text(bytes) ?? new Uint8Array(bytes) }),
    };
  };
  if (format === "github" && githubEnv !== undefined) {
    const gh = renderGithubExport(entries, { afterUnfinishedLine: await endsMidLine(githubEnv) });
    stdout(gh.masks); // masks first: nothing may reach a log unmasked
    await appendPlaintext(githubEnv, gh.envFile);
    return done("github");
  }
  if (format === "files") {
    await writePlaintextFiles(out as string, entries);
    return done("files");
  }
  const bytes = renderExport(format as Exclude<ExportFormat, "github" | "files">, entries, {
    name: options.k8s?.name ?? defaultSecretName(env, stage),
    ...(options.k8s?.namespace !== undefined && { namespace: options.k8s.namespace }),
    ...(options.k8s?.labels !== undefined && { labels: options.k8s.labels }),
  });
  if (out === undefined) {
    stdout(utf8Text(bytes) ?? bytes);
    return done("stdout");
  }
  await writePlaintextFile(out, bytes);
  return done("file");
}
