/**
 * `rotate`: a new version made by the secret's generator. With
 * `rotation.strategy` hook or postgres, the credential also changes where it
 * lives (rotate-credential.ts).
 */
import { parseGenerator } from "../core/generators.js";
import { appliesCredential } from "../core/rotation.js";
import type { StagePolicy } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import type { RotateResult } from "./rotate-credential.js";
import type { Session } from "./session.js";
import { setSecret } from "./set.js";

export type { RotateResult };

/** Options of {@link rotateSecret}. */
export interface RotateOptions {
  /** A generator spec to use instead of the secret's (kept as its own if it has none). */
  generate?: string;
  /** Where the new version goes (default: the first stage; single-user postgres: every stage). */
  stages?: StagePolicy;
}

/**
 * Adds a version made by the secret's generator (or `generate`, or the
 * repository's default generator).
 * @throws LockstepError `INVALID_VALUE` when there is no generator to use.
 */
export async function rotateSecret(session: Session, options: RotateOptions & { id: string }): Promise<RotateResult> {
  const sid = session.secretId(options.id);
  const manifest = await session.manifest(sid.id);
  if (appliesCredential(manifest.data.rotation)) {
    return (await import("./rotate-credential.js")).rotateCredential(session, { ...options, id: sid.id });
  }
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
  const written = await setSecret(session, {
    id: sid.id,
    value,
    ...(options.stages !== undefined && { stages: options.stages }),
    ...(keep && { generator: spec }),
  });
  return { ...written, notes: [], retired: [] };
}
