/** `lockstep get`: one value to stdout, exactly as stored. */
import { type GlobalOptions, openRepo } from "../context.js";

/** Options of `get`. */
export interface GetCommandOptions extends GlobalOptions {
  id: string;
  version?: number;
  stage?: string;
}

/** Decrypts a version (default: newest; or `--version N`, `--stage S`) and writes its value. */
export async function get(o: GetCommandOptions): Promise<void> {
  const repo = await openRepo(o);
  const value = await repo.get(o.id, {
    ...(o.version !== undefined && { version: o.version }),
    ...(o.stage !== undefined && { stage: o.stage }),
  });
  process.stdout.write(value);
}
