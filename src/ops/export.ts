/**
 * The values an environment's stage (or consumer) gets: what `export` and
 * `exec` publish, and what apps load at start through the library.
 */
import { checkedExportName } from "../core/env-names.js";
import type { ExportEntry } from "../core/export-entry.js";
import { pickVersion } from "../core/manifest-integrity.js";
import type { EnvironmentConfig } from "../core/model.js";
import { stageNames, versionAtStage } from "../core/stages.js";
import { servesConsumer, stageOfConsumer } from "../core/status.js";
import { fixWithSuggestion } from "../core/suggest.js";
import { withCryptoWorkers } from "../crypto/index.js";
import { LockstepError } from "../errors.js";
import type { Session } from "./session.js";
import { assertVariableAllowed } from "./variables.js";
import { decryptVersion } from "./versions.js";

/** Which values: a stage's, or a consumer's (through the stage that lists it). Default: the last stage. */
export type ExportSelector = { stage?: string; consumer?: string };

/** One exported secret, without its value. */
export interface ExportedSecret {
  id: string;
  name: string;
  version: number;
}

/** The values, as bytes, by variable name, and where each came from. */
export interface ExportResult {
  env: string;
  stage: string;
  /** Variable name, secret id and the value's bytes, in the order of {@link secrets}. */
  entries: ExportEntry[];
  secrets: ExportedSecret[];
}

/**
 * Decrypts the version each secret of `env` has at the selected stage.
 * @throws LockstepError `UNKNOWN_STAGE`; `INVALID_VALUE` when two secrets
 *   export under one name; `INVALID_NAME` for a name that is no valid
 *   variable name (a default such as `2FA_SEED`), or one that steers execution
 *   (PATH, LD_PRELOAD...) that lockstep.yaml does not allow; IntegrityError for a
 *   manifest moved by hand or with two versions of one number.
 */
export async function exportValues(session: Session, options: ExportSelector & { env: string }): Promise<ExportResult> {
  const { env, ...selector } = options;
  const { config } = session.environment(env);
  if (selector.stage !== undefined && selector.consumer !== undefined) {
    throw new LockstepError("USAGE", "give a stage or a consumer, not both");
  }
  const stage =
    selector.consumer !== undefined
      ? stageOfConsumer(env, config, selector.consumer)
      : (selector.stage ?? (stageNames(config).at(-1) as string));
  if (!stageNames(config).includes(stage)) {
    throw new LockstepError("UNKNOWN_STAGE", `no stage "${stage}" in environment ${env}`, {
      file: "lockstep.yaml",
      fix: fixWithSuggestion(stage, stageNames(config), `stages of ${env}: ${stageNames(config).join(", ")}`),
    });
  }
  const ids = await session.secretIds(env);
  // Threads start now, and boot while this thread reads the manifests.
  // Without an identity, nothing goes to threads; the first decryption says so.
  return withCryptoWorkers(() => decryptAll(session, env, stage, selector, config, ids));
}

async function decryptAll(
  session: Session,
  env: string,
  stage: string,
  selector: ExportSelector,
  config: EnvironmentConfig,
  ids: readonly string[],
): Promise<ExportResult> {
  const owners = new Map<string, string>();
  const secrets: { id: string; name: string; version: number }[] = [];
  // Each decryption starts as soon as its manifest is read, so that worker
  // threads decrypt while this thread reads on. None may reject unobserved:
  // after an error below, those in flight settle into nothing.
  const values: Promise<{ value: Uint8Array } | { error: unknown }>[] = [];
  for (const id of ids) {
    const m = await session.manifest(id);
    if (selector.consumer !== undefined && !servesConsumer(m.data, selector.consumer)) continue;
    const name = checkedExportName(id, m.data.env, m.file);
    assertVariableAllowed(session, id, name);
    const other = owners.get(name);
    if (other !== undefined) {
      throw new LockstepError("INVALID_VALUE", `${other} and ${id} both export as ${name}`, {
        file: m.file,
        fix: `set a distinct "env:" name in one of their manifests`,
      });
    }
    owners.set(name, id);
    const version = versionAtStage(config, m.data, stage, id);
    const v = pickVersion(id, m.data, m.file, version);
    if (!v) {
      throw new LockstepError(
        "UNKNOWN_VERSION",
        `${id}: stage ${stage} points at version ${version}, which does not exist`,
        {
          file: m.file,
          fix: "run `lockstep check` and repair the manifest's stages",
        },
      );
    }
    secrets.push({ id, name, version });
    values.push(
      decryptVersion(session, id, v, m.file).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    );
  }
  const settled = await Promise.all(values);
  const failed = settled.find((r) => "error" in r);
  if (failed && "error" in failed) throw failed.error;
  const plain = settled as { value: Uint8Array }[];
  return {
    env,
    stage,
    entries: secrets.map((s, i) => ({ name: s.name, id: s.id, value: plain[i]?.value as Uint8Array })),
    secrets,
  };
}
