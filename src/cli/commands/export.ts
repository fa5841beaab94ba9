/** `lockstep export`: the values of an environment's stage, in a deploy format. */
import { UsageError } from "../../errors.js";
import { openRepo } from "../context.js";
import { note } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";

type Export = typeof commands.export;

function labels(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((p) => {
      const at = p.indexOf("=");
      if (at < 1) throw new UsageError(`--label ${p}: expected KEY=VALUE`);
      return [p.slice(0, at), p.slice(at + 1)];
    }),
  );
}

/** Decrypts the stage's values and writes them in the chosen format. */
export async function exportCommand([env]: ArgsOf<Export>, o: OptionsOf<Export>): Promise<void> {
  const { checkExportOptions } = await import("../../index.js");
  const githubEnv = process.env.GITHUB_ENV;
  checkExportOptions({ format: o.format, ...(o.out !== undefined && { out: o.out }), ...(githubEnv && { githubEnv }) });
  const repo = await openRepo(o);
  const r = await repo.exportTo(env, {
    format: o.format,
    ...(o.stage !== undefined && { stage: o.stage }),
    ...(o.consumer !== undefined && { consumer: o.consumer }),
    ...(o.out !== undefined && { out: o.out }),
    ...(githubEnv && { githubEnv }),
    force: o.force === true,
    k8s: {
      ...(o.name !== undefined && { name: o.name }),
      ...(o.namespace !== undefined && { namespace: o.namespace }),
      ...(o.label !== undefined && { labels: labels(o.label) }),
    },
    stdout: (text) => process.stdout.write(text),
  });
  const count = `${r.secrets.length} secrets of ${r.env} at stage ${r.stage}`;
  if (r.to === "github") note(`Exported ${count} to $GITHUB_ENV`);
  else if (r.to === "files") note(`Wrote ${count} as files under ${o.out}`);
  else if (r.to === "file") note(`Wrote ${count} to ${o.out}`);
}
