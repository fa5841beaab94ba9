/** `lockstep import`: many secrets from a .env or JSON file. */
import { openRepo, warn } from "../context.js";
import { readInputText } from "../input.js";
import { out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeImport } from "../render/writes.js";

type Import = typeof commands.import;

/** Imports every variable of FILE (or stdin) as a secret of ENV. */
export async function importCommand([env, file]: ArgsOf<Import>, o: OptionsOf<Import>): Promise<void> {
  const repo = await openRepo(o);
  const text = await readInputText(file === "-" ? undefined : file);
  const results = await repo.import(env, text, {
    format: o.format ?? (file?.endsWith(".json") ? "json" : "dotenv"),
    source: file ?? "stdin",
    ...(o.prefix !== undefined && { prefix: o.prefix }),
    ...(o.expand && { expand: true }),
    ...(o.allowEmpty && { allowEmpty: true }),
    onWarning: warn,
  });
  out(describeImport(results));
}
