/** `lockstep import`: many secrets from a .env or JSON file. */
import type { ImportFormat } from "../../ops/import.js";
import { type GlobalOptions, openRepo } from "../context.js";
import { readInputFile, readStdin } from "../input.js";
import { out, table } from "../output.js";

/** Options of `import`. */
export interface ImportCommandOptions extends GlobalOptions {
  env: string;
  file?: string;
  format?: ImportFormat;
  prefix?: string;
}

/** Imports every variable of FILE (or stdin) as a secret of ENV. */
export async function importCommand(o: ImportCommandOptions): Promise<void> {
  const repo = await openRepo(o);
  const text = o.file === undefined ? await readStdin() : await readInputFile(o.file);
  const format = o.format ?? (o.file?.endsWith(".json") ? "json" : "dotenv");
  const results = await repo.import(o.env, text, {
    format,
    source: o.file ?? "stdin",
    ...(o.prefix !== undefined && { prefix: o.prefix }),
  });
  const created = results.filter((r) => r.created).length;
  out(table(results.map((r) => [r.created ? "created" : "updated", r.id, `version ${r.version}`])));
  out(`Imported ${results.length} secrets (${created} new, ${results.length - created} new versions).`);
}
