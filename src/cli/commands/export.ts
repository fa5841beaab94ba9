/** `lockstep export`: the values of an environment's stage, in a deploy format. */
import { type ExportFormat, renderGithub, renderText } from "../../core/export-formats.js";
import { UsageError } from "../../errors.js";
import { exportEnvironment } from "../../ops/export.js";
import {
  appendPlaintext,
  assertOutsideWorkTree,
  writePlaintextFile,
  writePlaintextFiles,
} from "../../storage/plaintext.js";
import { type GlobalOptions, openRepo } from "../context.js";
import { note } from "../output.js";

/** Options of `export`. */
export interface ExportCommandOptions extends GlobalOptions {
  env: string;
  stage?: string;
  consumer?: string;
  format?: ExportFormat;
  out?: string;
  force?: boolean;
  name?: string;
  namespace?: string;
  label?: string[];
}

function labels(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  return Object.fromEntries(
    pairs.map((p) => {
      const at = p.indexOf("=");
      if (at < 1) throw new UsageError(`--label ${p}: expected KEY=VALUE`);
      return [p.slice(0, at), p.slice(at + 1)];
    }),
  );
}

/** Decrypts the stage's values and writes them in the chosen format. */
export async function exportCommand(o: ExportCommandOptions): Promise<void> {
  const format = o.format ?? "dotenv";
  if (format === "files" && o.out === undefined) throw new UsageError("--format files needs --out DIR");
  if (format === "github" && !process.env.GITHUB_ENV) {
    throw new UsageError("--format github appends to $GITHUB_ENV, which is not set", {
      fix: "run it in a GitHub Actions step, or choose another --format",
    });
  }
  const repo = await openRepo(o);
  const out = o.out === undefined ? undefined : await assertOutsideWorkTree(repo.root, o.out, o.force === true);
  const result = await exportEnvironment(repo, o.env, {
    ...(o.stage !== undefined && { stage: o.stage }),
    ...(o.consumer !== undefined && { consumer: o.consumer }),
  });
  const count = `${result.secrets.length} secrets of ${result.env} at stage ${result.stage}`;
  if (format === "github") {
    const gh = renderGithub(result.values);
    process.stdout.write(gh.masks); // masks first: nothing may reach a log unmasked
    const envFile = await assertOutsideWorkTree(repo.root, process.env.GITHUB_ENV as string, o.force === true);
    await appendPlaintext(envFile, gh.envFile);
    note(`Exported ${count} to $GITHUB_ENV`);
    return;
  }
  if (format === "files") {
    await writePlaintextFiles(out as string, result.values);
    note(`Wrote ${count} as files under ${o.out}`);
    return;
  }
  const k8s = {
    name: o.name ?? `${result.env}-${result.stage}`,
    ...(o.namespace !== undefined && { namespace: o.namespace }),
    ...(o.label !== undefined && { labels: labels(o.label) as Record<string, string> }),
  };
  const text = await renderText(format, result.values, k8s);
  if (out === undefined) {
    process.stdout.write(text);
  } else {
    await writePlaintextFile(out, text);
    note(`Wrote ${count} to ${o.out}`);
  }
}
