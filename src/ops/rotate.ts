/**
 * `rotate`: a new version made by the secret's generator.
 */
import { parseGenerator } from "../core/generators.js";
import type { StagePolicy } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import type { Session } from "./session.js";
import { type SetResult, setSecret } from "./set.js";

/** Options of {@link rotateSecret}. */
export interface RotateOptions {
  /** A generator spec to use instead of the secret's (kept as its own if it has none). */
  generate?: string;
  /** Where the new version goes (default: the first stage). */
  stages?: StagePolicy;
}

/**
 * Adds a version made by the secret's generator (or `generate`, or the
 * repository's default generator).
 * @throws LockstepError `INVALID_VALUE` when there is no generator to use.
 */
export async function rotateSecret(session: Session, options: RotateOptions & { id: string }): Promise<SetResult> {
  const sid = session.secretId(options.id);
  const manifest = await session.manifest(sid.id);
  const spec = options.generate ?? manifest.data.rotation?.generate ?? session.config.rotation?.generate;
  if (spec === undefined) {
    throw new LockstepError("INVALID_VALUE", `${sid.id} has no generator to rotate with`, {
      file: manifest.file,
      fix: `pass --generate SPEC (e.g. password:32), or set rotation.generate in ${manifest.file}; for a value you supply, use \`lockstep set\``,
    });
  }
  const value = parseGenerator(spec).generate();
  // A generator asked for is kept when the secret has none; the repository's default is not copied in.
  const keep = manifest.data.rotation?.generate === undefined && options.generate !== undefined;
  return setSecret(session, {
    id: sid.id,
    value,
    ...(options.stages !== undefined && { stages: options.stages }),
    ...(keep && { generator: spec }),
  });
}
