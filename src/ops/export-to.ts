/**
 * `export`: an environment's values at a stage, written in a deploy format:
 * to standard output, a file, `$GITHUB_ENV` (with masks), or a folder of
 * files. Plaintext never lands inside the repository's working tree unless
 * forced.
 */
import { type ExportFormat, renderGithub, renderText } from "../core/export-formats.js";
import { UsageError } from "../errors.js";
import {
  appendPlaintext,
  assertOutsideWorkTree,
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
   * nothing reaches a log unmasked). Without it, that text is returned as
   * `stdout`.
   */
  stdout?: (text: string) => void;
}

/** Where an export went, and what it held (never a value, but on `stdout`). */
export interface ExportToResult {
  env: string;
  stage: string;
  secrets: ExportedSecret[];
  /** `stdout`, `file` (`out`), `github` (`githubEnv`), or `files` (a folder, `out`). */
  to: "stdout" | "file" | "github" | "files";
  /** Text for standard output that no `stdout` callback took. */
  stdout?: string;
}

/**
 * Checks a format's needs (`files` a folder, `github` the `$GITHUB_ENV`
 * file), before anything is read.
 * @throws UsageError.
 */
export function checkExportOptions(options: Pick<ExportToOptions, "format" | "out" | "githubEnv">): void {
  if (options.format === "files" && options.out === undefined) throw new UsageError("--format files needs --out DIR");
  if (options.format === "github" && !options.githubEnv) {
    throw new UsageError("--format github appends to $GITHUB_ENV, which is not set", {
      fix: "run it in a GitHub Actions step, or choose another --format",
    });
  }
}

/**
 * Decrypts the stage's values and writes them in `format`.
 * @throws UsageError for a missing folder or `$GITHUB_ENV`, or an output path inside the working tree; what {@link exportValues} throws.
 */
export async function exportTo(session: Session, options: ExportToOptions): Promise<ExportToResult> {
  const format = options.format ?? "dotenv";
  checkExportOptions({ ...options, format });
  const force = options.force === true;
  const out =
    options.out === undefined
      ? undefined
      : await assertOutsideWorkTree(session.root, options.out, force, format === "files" ? "folder" : "file");
  const result = await exportValues(session, {
    env: options.env,
    ...(options.stage !== undefined && { stage: options.stage }),
    ...(options.consumer !== undefined && { consumer: options.consumer }),
  });
  const { env, stage, secrets, values } = result;
  let pending = "";
  const stdout = options.stdout ?? ((text: string) => (pending += text));
  const done = (to: ExportToResult["to"]): ExportToResult => ({
    env,
    stage,
    secrets,
    to,
    ...(options.stdout === undefined && pending !== "" && { stdout: pending }),
  });
  if (format === "github") {
    const gh = renderGithub(values);
    stdout(gh.masks); // masks first: nothing may reach a log unmasked
    const envFile = await assertOutsideWorkTree(session.root, options.githubEnv as string, force, "append");
    await appendPlaintext(envFile, gh.envFile);
    return done("github");
  }
  if (format === "files") {
    await writePlaintextFiles(out as string, values);
    return done("files");
  }
  const text = await renderText(format, values, {
    name: options.k8s?.name ?? `${env}-${stage}`,
    ...(options.k8s?.namespace !== undefined && { namespace: options.k8s.namespace }),
    ...(options.k8s?.labels !== undefined && { labels: options.k8s.labels }),
  });
  if (out === undefined) {
    stdout(text);
    return done("stdout");
  }
  await writePlaintextFile(out, text);
  return done("file");
}
