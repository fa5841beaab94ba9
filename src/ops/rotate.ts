/**
 * `rotate` and `rotate --finish` for secrets whose rotation changes the
 * credential where it lives (`rotation.strategy: hook | postgres`); see
 * src/rotation/steps.ts for the steps and core/rotation.ts for the states.
 *
 * rotate: the new value is made, set and tested before anything is
 * written; the manifest is then written under its lock (and re-read there:
 * if another writer changed it meanwhile, set is undone and nothing is
 * written). Versions whose credential the rotation replaced are marked
 * `revoked`. finish: the previous credential is retired where it lives,
 * then marked `revoked`.
 */
import type { Document, YAMLMap, YAMLSeq } from "yaml";
import { parseGenerator } from "../core/generators.js";
import type { SecretManifest, SecretRotation } from "../core/model.js";
import {
  appliesCredential,
  checkRotationSettings,
  credentialStates,
  finishWait,
  hasNoOverlap,
  planRotation,
} from "../core/rotation.js";
import { type StagePolicy, stageNames } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import type { Repository, SetResult } from "../repository.js";
import type { Credential, RotationOutcome, StepContext } from "../rotation/steps.js";
import type { YamlFile } from "../storage/yaml-file.js";
import { validateValue } from "./values.js";

/** Options of a rotation. */
export interface RotateOptions {
  /** Generator of the new value (default: the secret's `rotation.generate`). */
  generate?: string;
  /** Where the new version goes (default: the first stage; single-user postgres: every stage). */
  stages?: StagePolicy;
}

/** What a rotation did. */
export interface RotateResult extends SetResult {
  /** What the steps reported, scrubbed of values. */
  notes: RotationOutcome["notes"];
  /** Versions whose credential this rotation retired (now `revoked`). */
  retired: number[];
}

/** What finish did. */
export interface FinishResult {
  id: string;
  file: string;
  /** The version whose credential was retired. */
  previous: number;
  /** The version every stage has. */
  current: number;
  notes: RotationOutcome["notes"];
}

/** The default generator of a postgres password. */
const POSTGRES_PASSWORD = "password:32";

/**
 * Rotates a secret whose strategy applies credentials: create, set and test,
 * then the new version is written.
 * @throws LockstepError `ROTATION_FAILED` (a step failed: nothing written,
 *   set undone), `ROLLOUT_REFUSED` (a stage would be stranded on a retired
 *   credential), `INVALID_VALUE` (settings or values), and the errors of
 *   reading and writing a secret.
 */
export async function rotateCredential(repo: Repository, id: string, options: RotateOptions): Promise<RotateResult> {
  const sid = repo.secretId(id);
  const manifest = await repo.readManifest(sid.id);
  const m = manifest.data;
  const rotation = m.rotation as SecretRotation;
  checkRotationSettings(rotation, sid.id, manifest.file);
  const spec = generatorSpec(repo, m, options.generate);
  const generate = parseGenerator(spec).generate;
  const policy = options.stages ?? (hasNoOverlap(rotation) ? "all" : "first");
  const version = newest(m) + 1;
  const plan = planRotation(sid.environment, m, version, policy, sid.id);
  const recipients = repo.parsedRecipients(sid.id); // no readers, a bad key: before anything changes
  const context = await stepContext(repo, sid.id, manifest);
  const { runRotation, abandonRotation } = await import("../rotation/steps.js");
  const { rotatorFor } = await import("../rotation/strategy.js");
  const rotator = rotatorFor(rotation, { cwd: repo.root, generate, now: () => repo.clock() });
  const type = m.type ?? "string";
  const outcome = await runRotation(rotator, context, version, {
    validate: (value) => validateValue(repo.files, sid.id, value, type, m.schema),
  });
  const pending = { ...context, pending: { version, value: outcome.value } };
  try {
    const now = timestamp(repo.clock());
    const encrypted = await repo.encryptVersion(sid.id, version, outcome.value, recipients);
    const last = stageNames(sid.environment).at(-1);
    const { version: n, created, ...rest } = encrypted;
    const entry = {
      version: n,
      created,
      ...(last !== undefined && plan.stages[last] === version && { released: now }),
      ...rest,
    };
    await repo.files.withLock(manifest.file, async () => {
      const fresh = await repo.readManifest(sid.id);
      if (fresh.text !== manifest.text) {
        throw new LockstepError("LOCKED", `${sid.id} changed while it was being rotated`, {
          file: manifest.file,
          fix: "run `lockstep rotate` again",
        });
      }
      const { addVersion } = await import("./manifest-doc.js");
      const doc = await fresh.document();
      markRevoked(doc, plan.retires, now);
      addVersion(doc, entry, plan.stages);
      await repo.files.writeDocument(manifest.file, doc);
    });
  } catch (e) {
    const left = await abandonRotation(rotator, pending, outcome.value);
    throw withNote(e, left);
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

/**
 * Retires the previous credential once the last stage has the new one and
 * `rotation.revokeAfter` has passed.
 * @throws LockstepError `ROLLOUT_REFUSED` (nothing to finish yet, or too
 *   soon), `ROTATION_FAILED` (the finish step failed: nothing recorded).
 */
export async function finishCredential(repo: Repository, id: string): Promise<FinishResult> {
  const sid = repo.secretId(id);
  const manifest = await repo.readManifest(sid.id);
  const m = manifest.data;
  if (!appliesCredential(m.rotation)) {
    throw new LockstepError(
      "ROLLOUT_REFUSED",
      `${sid.id} has no credential to retire: its rotation strategy is generate`,
      {
        file: manifest.file,
        fix: "finish is for rotation.strategy hook or postgres, which change the credential where it lives",
      },
    );
  }
  checkRotationSettings(m.rotation, sid.id, manifest.file);
  const wait = finishWait(sid.environment, m, repo.clock());
  if (!wait) throw nothingToFinish(sid.id, sid.environment.stages.at(-1)?.name ?? "", m, manifest.file);
  if (!wait.ready) {
    throw new LockstepError(
      "ROLLOUT_REFUSED",
      `${sid.id}: revokeAfter (${m.rotation?.revokeAfter}) has not passed since version ${wait.current} reached the last stage: finish from ${wait.due}`,
      { file: manifest.file, fix: `run \`lockstep rotate ${sid.id} --finish\` from ${wait.due}` },
    );
  }
  const context = await stepContext(repo, sid.id, manifest);
  const { runFinish } = await import("../rotation/steps.js");
  const { rotatorFor } = await import("../rotation/strategy.js");
  const rotator = rotatorFor(m.rotation, { cwd: repo.root, generate: () => "", now: () => repo.clock() });
  const previous = context.previous as Credential;
  const notes = await runFinish(rotator, { ...context, previous });
  await repo.files.withLock(manifest.file, async () => {
    const fresh = await repo.readManifest(sid.id);
    const doc = await fresh.document();
    const older = fresh.data.versions.filter((v) => v.version <= wait.previous && v.revoked === undefined);
    markRevoked(
      doc,
      older.map((v) => v.version),
      timestamp(repo.clock()),
    );
    await repo.files.writeDocument(manifest.file, doc);
  });
  return { id: sid.id, file: manifest.file, previous: wait.previous, current: wait.current, notes };
}

/** Why there is nothing to finish. */
function nothingToFinish(id: string, last: string, m: SecretManifest, file: string): LockstepError {
  const newestVersion = newest(m);
  const atLast = m.stages[last];
  if (atLast !== undefined && atLast < newestVersion) {
    return new LockstepError(
      "ROLLOUT_REFUSED",
      `${id}: the last stage (${last}) is on version ${atLast}; finish retires the previous credential once it has version ${newestVersion}`,
      { file, fix: `promote it first: \`lockstep promote ${id}\`` },
    );
  }
  return new LockstepError("ROLLOUT_REFUSED", `${id}: no previous credential waits to be retired`, {
    file,
    fix: "finish follows a rotation: `lockstep rotate`, promote to the last stage, then `lockstep rotate --finish`",
  });
}

/** The generator `rotate` uses, or an error saying how to give one. */
function generatorSpec(repo: Repository, m: SecretManifest, option: string | undefined): string {
  const spec = option ?? m.rotation?.generate ?? repo.config.rotation?.generate;
  if (spec !== undefined) return spec;
  if (m.rotation?.strategy === "postgres" || m.rotation?.hooks?.create !== undefined) return POSTGRES_PASSWORD;
  throw new LockstepError("INVALID_VALUE", "no generator to rotate with", {
    fix: "pass --generate SPEC, set rotation.generate, or give rotation.hooks a create command",
  });
}

/**
 * The values the steps are handed: the current version (the last stage's),
 * the previous one if its credential was not retired, and the admin
 * credential (the version the admin secret's last stage has).
 */
async function stepContext(
  repo: Repository,
  id: string,
  manifest: YamlFile<SecretManifest>,
): Promise<StepContext & { current: Credential; previous?: Credential }> {
  const sid = repo.secretId(id);
  const m = manifest.data;
  const states = credentialStates(sid.environment, m);
  const value = async (n: number) => {
    const v = m.versions.find((x) => x.version === n);
    if (!v) throw new LockstepError("UNKNOWN_VERSION", `${id} has no version ${n}`, { file: manifest.file });
    return { version: n, value: await repo.decryptVersion(id, v, manifest.file) };
  };
  const current = await value(states.current);
  const previous = states.previous === undefined ? undefined : await value(states.previous);
  let admin: StepContext["admin"];
  if (m.rotation?.admin !== undefined) {
    const adminId = repo.secretId(m.rotation.admin);
    const adminManifest = await repo.readManifest(adminId.id);
    const n = credentialStates(adminId.environment, adminManifest.data).current;
    const v = adminManifest.data.versions.find((x) => x.version === n);
    if (!v) throw new LockstepError("UNKNOWN_VERSION", `${adminId.id} has no version ${n}`);
    admin = { id: adminId.id, version: n, value: await repo.decryptVersion(adminId.id, v, adminManifest.file) };
  }
  return {
    id,
    stages: { ...m.stages },
    current,
    ...(previous !== undefined && { previous }),
    ...(admin !== undefined && { admin }),
  };
}

/** Sets `revoked` on the given versions of a manifest document (those that have none). */
function markRevoked(doc: Document, versions: readonly number[], when: string): void {
  for (const n of versions) stampVersion(doc, n, "revoked", when, { keep: true });
}

/**
 * Sets a time on one version of a manifest document (`released`,
 * `revoked`), placed after its `created` where a reader looks for dates.
 * With `keep`, a time already there stays.
 */
export function stampVersion(
  doc: Document,
  version: number,
  key: "released" | "revoked",
  when: string,
  options: { keep?: boolean } = {},
): void {
  const list = doc.get("versions", true) as YAMLSeq<YAMLMap>;
  const node = list.items.find((v) => v.get("version") === version);
  if (!node || (options.keep && node.has(key))) return;
  if (node.has(key)) {
    node.set(key, when);
    return;
  }
  const keyAt = (i: number) => (node.items[i]?.key as { value?: unknown } | undefined)?.value;
  let at = node.items.findIndex((_, i) => keyAt(i) === "created");
  if (at === -1) at = node.items.length - 1;
  while (keyAt(at + 1) === "released" || keyAt(at + 1) === "revoked") at++;
  node.items.splice(at + 1, 0, doc.createPair(key, when));
}

function withNote(e: unknown, left: string[] | undefined): unknown {
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

function newest(m: SecretManifest): number {
  return Math.max(...m.versions.map((v) => v.version));
}

/** An RFC 3339 UTC time to the second, as versions' dates are written. */
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
