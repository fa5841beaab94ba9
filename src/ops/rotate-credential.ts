/**
 * `rotate` for secrets whose rotation changes the credential where it lives
 * (`rotation.strategy: hook | postgres`); see src/rotation/steps.ts for the
 * steps and core/rotation.ts for the states of versions.
 *
 * The new value is made, set and tested before anything is written. The
 * manifest is then written under its lock, re-read there: if another writer
 * changed it meanwhile, set is undone and nothing is written. Versions whose
 * credential the rotation replaced are marked `revoked`.
 */
import { parseGenerator } from "../core/generators.js";
import { pickVersion } from "../core/manifest-integrity.js";
import type { SecretManifest, SecretRotation } from "../core/model.js";
import { checkRotationSettings, credentialStates, hasNoOverlap, planRotation } from "../core/rotation.js";
import { type StagePolicy, stageNames } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import type { Credential, RotationOutcome, StepContext } from "../rotation/steps.js";
import { addManifestVersion, type StoredManifest } from "../storage/manifests.js";
import type { Session } from "./session.js";
import type { SetResult } from "./set.js";
import { validateValue } from "./values.js";
import { decryptVersionText, encryptVersion, recipientsOf } from "./versions.js";

/** What a rotation did. */
export interface RotateResult extends SetResult {
  /** What the rotation steps reported, scrubbed of values (strategies hook and postgres). */
  notes: RotationOutcome["notes"];
  /** Versions whose credential this rotation retired (now `revoked`). */
  retired: number[];
}

/** The default generator of a password, when the secret names none. */
const DEFAULT_PASSWORD = "password:32";

/**
 * Rotates a secret whose strategy applies credentials: create, set and test,
 * then the new version is written (to the first stage, or `stages`;
 * single-user postgres: every stage).
 * @throws LockstepError `ROTATION_FAILED` (a step failed: nothing written,
 *   set undone), `ROLLOUT_REFUSED` (a stage would be left on a credential the
 *   rotation retires), `INVALID_VALUE` (settings or values), and the errors
 *   of reading and writing a secret.
 */
export async function rotateCredential(
  session: Session,
  options: { id: string; generate?: string; stages?: StagePolicy },
): Promise<RotateResult> {
  const sid = session.secretId(options.id);
  const manifest = await session.manifest(sid.id);
  const m = manifest.data;
  const rotation = m.rotation as SecretRotation;
  checkRotationSettings(rotation, sid.id, manifest.file);
  const generate = parseGenerator(generatorSpec(session, m, options.generate)).generate;
  const policy = options.stages ?? (hasNoOverlap(rotation) ? "all" : "first");
  const version = Math.max(...m.versions.map((v) => v.version)) + 1;
  const plan = planRotation(sid.environment, m, version, policy, sid.id);
  const recipients = recipientsOf(session, sid.id); // no readers, a bad key: before anything changes
  const context = await stepContext(session, sid.id, manifest);
  const { abandonRotation, runRotation } = await import("../rotation/steps.js");
  const { rotatorFor } = await import("../rotation/strategy.js");
  const rotator = rotatorFor(rotation, { cwd: session.root, generate, now: session.now });
  const type = m.type ?? "string";
  const outcome = await runRotation(rotator, context, version, {
    validate: (value) => validateValue(session.files, sid.id, value, type, m.schema),
  });
  try {
    const now = timestamp(session.now());
    const { version: _, created, ...rest } = await encryptVersion(session, sid.id, version, outcome.value, recipients);
    const last = stageNames(sid.environment).at(-1);
    const released = last !== undefined && plan.stages[last] === version;
    await session.files.withLock(manifest.file, async () => {
      const fresh = await session.manifest(sid.id);
      if (fresh.text !== manifest.text) {
        throw new LockstepError("LOCKED", `${sid.id} changed while it was being rotated`, {
          file: manifest.file,
          fix: "run `lockstep rotate` again",
        });
      }
      await addManifestVersion(session.files, fresh, {
        // `released` beside `created`, where a reader looks for dates.
        version: { version, created, ...(released && { released: now }), ...rest },
        stages: plan.stages,
        stamps: plan.retires.map((n) => ({ version: n, key: "revoked" as const, when: now, keep: true })),
      });
    });
  } catch (e) {
    const left = await abandonRotation(
      rotator,
      { ...context, pending: { version, value: outcome.value } },
      outcome.value,
    );
    throw notWritten(e, left);
  }
  return {
    id: sid.id,
    version,
    created: false,
    stages: Object.keys(plan.stages),
    notes: outcome.notes,
    retired: plan.retires,
  };
}

/** The generator `rotate` uses, or an error saying how to give one. */
function generatorSpec(session: Session, m: SecretManifest, option: string | undefined): string {
  const spec = option ?? m.rotation?.generate ?? session.config.rotation?.generate;
  if (spec !== undefined) return spec;
  if (m.rotation?.strategy === "postgres" || m.rotation?.hooks?.create !== undefined) return DEFAULT_PASSWORD;
  throw new LockstepError("INVALID_VALUE", "no generator to rotate with", {
    fix: "pass --generate SPEC, set rotation.generate, or give rotation.hooks a create command",
  });
}

/**
 * What the steps are handed: the current version (the last stage's), the
 * previous one if its credential was not retired, and the admin credential
 * (the version the admin secret's last stage has).
 * @throws LockstepError `UNKNOWN_SECRET` for a missing admin secret; IntegrityError for a manifest moved by hand or
 * with two versions of one number; decryption errors.
 */
export async function stepContext(
  session: Session,
  id: string,
  manifest: StoredManifest,
): Promise<StepContext & { current: Credential; previous?: Credential }> {
  const sid = session.secretId(id);
  const m = manifest.data;
  const states = credentialStates(sid.environment, m);
  const current = await credential(session, id, manifest, states.current);
  const previous = states.previous === undefined ? undefined : await credential(session, id, manifest, states.previous);
  let admin: StepContext["admin"];
  if (m.rotation?.admin !== undefined) {
    const adminId = session.secretId(m.rotation.admin);
    const adminManifest = await session.manifest(adminId.id);
    const n = credentialStates(adminId.environment, adminManifest.data).current;
    admin = { id: adminId.id, ...(await credential(session, adminId.id, adminManifest, n)) };
  }
  return {
    id,
    stages: { ...m.stages },
    current,
    ...(previous !== undefined && { previous }),
    ...(admin !== undefined && { admin }),
  };
}

async function credential(session: Session, id: string, manifest: StoredManifest, n: number): Promise<Credential> {
  // A manifest moved by hand, or two versions of one number (a merge kept both), is refused before any value is read.
  const v = pickVersion(id, manifest.data, manifest.file, n);
  if (!v) throw new LockstepError("UNKNOWN_VERSION", `${id} has no version ${n}`, { file: manifest.file });
  return { version: n, value: await decryptVersionText(session, id, v, manifest.file) };
}

/** The error that stopped the write, saying the new version was not written and what undo left. */
function notWritten(e: unknown, left: string[] | undefined): unknown {
  if (!(e instanceof LockstepError)) return e;
  let undone = "";
  if (left !== undefined)
    undone = left.length === 0 ? "; set was undone" : `; set was undone except: ${left.join("; ")}`;
  return new LockstepError(e.code, `${e.message} (the new version was not written${undone})`, {
    ...(e.file !== undefined && { file: e.file }),
    ...(e.fix !== undefined && { fix: e.fix }),
    cause: e,
  });
}

/** An RFC 3339 UTC time to the second, as versions' dates are written. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
