/** `lockstep import`: many secrets from a file: .env, JSON or YAML, or one sops or dotenvx encrypted. */
import { openRepo } from "../context.js";
import { readInputFile, readStdin } from "../input.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeImport } from "../render/writes.js";

type Import = typeof commands.import;

/** Imports every value of FILE (or stdin) as a secret of ENV, and says what became what. */
export async function importCommand([env, file]: ArgsOf<Import>, o: OptionsOf<Import>): Promise<void> {
  const repo = await openRepo(o);
  const text = file === undefined ? await readStdin() : await readInputFile(file);
  const result = await repo.import(env, text, {
    source: file ?? "stdin",
    ...(file !== undefined && { path: file }),
    ...(o.format !== undefined && { format: o.format }),
    ...(o.from !== undefined && { from: o.from }),
    ...(o.prefix !== undefined && { prefix: o.prefix }),
    ...(o.keepObjects !== undefined && { keepObjects: o.keepObjects }),
    ...(o.envKeysFile !== undefined && { envKeysFile: o.envKeysFile }),
  });
  out(describeImport(result));
}
