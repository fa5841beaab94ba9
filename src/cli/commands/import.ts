/** `lockstep import`: many secrets from a file: .env, JSON or YAML, or one sops or dotenvx encrypted. */
import { openRepo, warn } from "../context.js";
import { readInputText } from "../input.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeCommit, describeImport } from "../render/writes.js";

type Import = typeof commands.import;

/** Imports every value of FILE (or stdin) as a secret of ENV, and says what became what. */
export async function importCommand([env, file]: ArgsOf<Import>, o: OptionsOf<Import>): Promise<void> {
  const repo = await openRepo(o);
  const text = await readInputText(file === "-" ? undefined : file);
  const result = await repo.import(env, text, {
    source: file ?? "stdin",
    ...(file !== undefined && { path: file }),
    ...(o.format !== undefined && { format: o.format }),
    ...(o.from !== undefined && { from: o.from }),
    ...(o.prefix !== undefined && { prefix: o.prefix }),
    ...(o.keepObjects !== undefined && { keepObjects: o.keepObjects }),
    ...(o.envKeysFile !== undefined && { envKeysFile: o.envKeysFile }),
    ...(o.expand && { expand: true }),
    onWarning: warn,
    ...(o.commit && { commit: true }),
  });
  out([describeImport(result), ...describeCommit(result)].join("\n"));
}
