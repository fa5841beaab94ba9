/**
 * `rotate`: a new version made by the secret's generator. With
 * `rotation.strategy` hook or postgres, the credential also changes where it
 * lives (rotate-credential.ts).
 */
import { parseGenerator } from "../core/generators.js";
import { appliesCredential } from "../core/rotation.js";
import type { StagePolicy } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { RotateResult } from "./rotate-credential.js";
import type { Session } from "./session.js";
import { setSecret, writeMessage } from "./set.js";

export type { RotateResult };

/** Options of {@link rotateSecret}. */
export interface RotateOptions {
  /** A generator spec to use instead of the secret's (kept as its own if it has none). */
  generate?: string;
  /** Where the new version goes (default: the first stage; single-user postgres: every stage). */
  stages?: StagePolicy;
  /** Commit the manifest with a message saying what was rotated. */
  commit?: boolean;
}

/**
 * Adds a version made by the secret's generator (or `generate`, or the
 * repository's default generator).
 * With `commit`, the manifest is committed (`lockstep rotate: ID version N`).
 * @throws LockstepError `INVALID_VALUE` when there is no generator to use;
 *   `NOT_COMMITTED` with `commit`.
 */
export async function rotateSecret(session: Session, options: RotateOptions & { id: string }): Promise<RotateResult> {
  if (options.commit) await ensureCanCommit(session, [session.files.manifestFile(session.secretId(options.id).id)]);
  const { commit, ...rest } = options;
  const result = await rotateOnly(session, rest);
  const retired =
    result.retired.length > 0 ? `\nRetired the credential of version ${result.retired.join(", ")}.\n` : "";
  return commitIfAsked(
    session,
    commit,
    result,
    [session.files.manifestFile(result.id)],
    `${writeMessage("rotate", result)}${retired}`,
  );
}

async function rotateOnly(session: Session, options: RotateOptions & { id: string }): Promise<RotateResult> {
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
