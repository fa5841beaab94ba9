/**
 * `lockstep check`'s rules for one secret's manifest: stages, recipients,
 * ciphertexts, rotation, and readers against access.yaml (see check.ts for
 * the rest of the gate).
 */
import { recipientKey as key, recipientKeys, recipientsResolver, sameRecipients } from "../core/access.js";
import { exportName, suggestVariableName, variableNameProblem } from "../core/env-names.js";
import { type Finding, finding } from "../core/findings.js";
import { misplacedFix, versionListProblems } from "../core/manifest-integrity.js";
import type {
  AccessConfig,
  EnvironmentConfig,
  ProjectConfig,
  SecretManifest,
  VersionRecipient,
} from "../core/model.js";
import { appliesCredential, checkRotationSettings } from "../core/rotation.js";
import { liveVersions, stageNames, stageProblems } from "../core/stages.js";
import { type SecretStatus, secretStatus } from "../core/status.js";
import { steeringFix, variableAllowed } from "../core/steering.js";
import { AgeRecipient, countStanzas } from "../crypto/index.js";
import type { LockstepError } from "../errors.js";
import { ACCESS_FILE, CONFIG_FILE } from "../storage/layout.js";
import type { YamlFile } from "../storage/yaml-file.js";

/** The line of a finding, asked for only when there is a finding: a line costs a full parse of the file. */
export async function lineOf(file: YamlFile<unknown>, path: (string | number)[]): Promise<{ line?: number }> {
  const line = await file.lineOf(path);
  return line === undefined ? {} : { line };
}

/** What every manifest is checked against, worked out once per run. */
export interface ManifestContext {
  config: ProjectConfig | undefined;
  /** The recipients an id's live versions must have, when access.yaml is valid. */
  recipientsOf: ((id: string) => VersionRecipient[]) | undefined;
  /** `AgeRecipient.isValid`, remembered: the same keys recur in every manifest. */
  validRecipient: (key: string) => boolean;
  now: Date;
}

export function manifestContext(
  config: ProjectConfig | undefined,
  access: AccessConfig | undefined,
  now: Date,
): ManifestContext {
  const valid = new Map<string, boolean>();
  return {
    config,
    recipientsOf: access && recipientsResolver(access),
    validRecipient: (key) => {
      let ok = valid.get(key);
      if (ok === undefined) {
        ok = AgeRecipient.isValid(key);
        valid.set(key, ok);
      }
      return ok;
    },
    now,
  };
}

export async function checkManifest(
  id: string,
  m: YamlFile<SecretManifest>,
  { config, recipientsOf, validRecipient, now }: ManifestContext,
  out: Finding[],
): Promise<void> {
  const file = m.file;
  // Without a valid lockstep.yaml, stages and rotation cannot be judged; the rest still can.
  const env = config?.environments[id.split("/")[0] as string];
  if (config && !env) {
    out.push(
      finding("schema-invalid", {
        file,
        id,
        message: `${id} is in environment "${id.split("/")[0]}", which lockstep.yaml does not define`,
        fix: `add the environment to ${CONFIG_FILE}, or move the secret`,
      }),
    );
    return;
  }
  const data = m.data;
  // An explicit env: is held to the pattern by the schema; a default name can still be no variable name.
  const name = exportName(id, data.env);
  const nameProblem = variableNameProblem(name);
  if (nameProblem !== undefined) {
    out.push(
      finding("invalid-variable-name", {
        file,
        id,
        message: `${id} exports as ${name} by default, which is not a valid variable name (${nameProblem}): a shell stops at it, and export refuses it`,
        fix: `lockstep set ${id} --keep-value --env ${suggestVariableName(name)}`,
      }),
    );
  }
  if (data.id !== undefined && data.id !== id) {
    out.push(
      finding("manifest-moved", {
        file,
        id,
        ...(await lineOf(m, ["id"])),
        message: `the manifest records the secret ${data.id}, but its path names ${id}: it was moved or copied by hand, and its versions are bound to ${data.id} (get and export would refuse them, exit 4)`,
        fix: misplacedFix(data.id, id),
      }),
    );
  }
  for (const p of versionListProblems(data)) {
    out.push(
      finding("versions-invalid", {
        file,
        id,
        ...(await lineOf(m, ["versions", p.index])),
        message: `${p.message}${p.kind === "duplicate" ? ": get and export refuse to choose between them (exit 4)" : ""}`,
        fix:
          p.kind === "duplicate"
            ? "a merge probably kept both sides: keep one version per number (take one side with `git checkout --ours` or `--theirs`, then add the other side's value again with `lockstep set`)"
            : "list the versions newest first (highest number at the top)",
      }),
    );
  }
  if (!variableAllowed(name, config?.allowVariables)) {
    out.push(
      finding("steering-variable", {
        file,
        id,
        ...(await lineOf(m, data.env === undefined ? [] : ["env"])),
        message: `${id} exports as ${name}, a variable that steers what a process runs or loads: exec and deploys would run what the secret's author chose`,
        fix: steeringFix(name, CONFIG_FILE),
      }),
    );
  }
  const versionIndex = new Map(data.versions.map((v, i) => [v.version, i]));
  for (const p of env ? stageProblems(env, data) : []) {
    out.push(
      finding("stage-invalid", {
        file,
        id,
        ...(await lineOf(m, ["stages", p.stage])),
        message: p.message,
        fix: "point every stage at an existing version, later stages at the same or older versions (`lockstep promote`, `lockstep rollback`)",
      }),
    );
  }
  for (const [i, v] of data.versions.entries()) {
    if (v.mergedFrom !== undefined) {
      out.push(
        finding("merge-unresolved", {
          file,
          id,
          ...(await lineOf(m, ["versions", i, "mergedFrom"])),
          message: `version ${v.version} came from the other side of a merge as version ${v.mergedFrom} and is still encrypted as ${v.mergedFrom}: it cannot be read as ${v.version} until it is re-encrypted`,
          fix: `lockstep resolve ${id}, with the key of one of: ${[...new Set(v.recipients.map((r) => r.member))].join(", ")}`,
        }),
      );
    }
    for (const [j, r] of v.recipients.entries()) {
      if (!validRecipient(r.key)) {
        out.push(
          finding("invalid-recipient", {
            file,
            id,
            ...(await lineOf(m, ["versions", i, "recipients", j])),
            message: `version ${v.version} lists a recipient of ${r.member} that is not a valid age recipient`,
          }),
        );
      }
    }
    try {
      const stanzas = countStanzas(v.ciphertext, { file, what: `${id} version ${v.version}` });
      if (stanzas !== v.recipients.length) {
        out.push(
          finding("ciphertext-mismatch", {
            file,
            id,
            ...(await lineOf(m, ["versions", i, "ciphertext"])),
            message: `version ${v.version} has ${stanzas} recipient stanzas but lists ${v.recipients.length} recipients`,
            fix: "restore the manifest from Git history; a version's ciphertext and recipients are written together",
          }),
        );
      }
    } catch {
      out.push(
        finding("ciphertext-mismatch", {
          file,
          id,
          ...(await lineOf(m, ["versions", i, "ciphertext"])),
          message: `version ${v.version}: the ciphertext's armor or header is broken`,
          fix: "restore the manifest from Git history",
        }),
      );
    }
  }
  const status = env && config ? secretStatus(id, env, config, data, now) : undefined;
  if (status?.overdue) {
    out.push(
      finding("rotation-overdue", {
        file,
        id,
        message: `version ${status.latest} is older than its maximum age (rotation was due ${status.rotationDue})`,
        fix: `${newValueCommand(id, data, config)}, then promote it`,
      }),
    );
  }
  if (env) await checkRotation(id, m, env, status, out);
  if (!recipientsOf) return;
  let wanted: VersionRecipient[];
  try {
    wanted = recipientsOf(id);
  } catch {
    out.push(
      finding("no-readers", {
        file,
        id,
        message: `${id} matches no access rule with readers`,
        fix: `add a rule whose match covers ${id} to ${ACCESS_FILE}`,
      }),
    );
    return;
  }
  const current = recipientKeys(wanted);
  for (const n of [...liveVersions(data)].sort((a, b) => b - a)) {
    const i = versionIndex.get(n);
    const v = i === undefined ? undefined : data.versions[i];
    if (!v || i === undefined) continue; // reported as stage-invalid
    const same = sameRecipients(v.recipients, wanted);
    if (!same) {
      const added = wanted.filter((r) => !v.recipients.some((o) => key(o) === key(r))).map((r) => r.member);
      const removed = v.recipients.filter((r) => !current.has(key(r))).map((r) => r.member);
      out.push(
        finding("recipients-drift", {
          file,
          id,
          ...(await lineOf(m, ["versions", i, "recipients"])),
          message: `live version ${v.version} is not encrypted to its readers today${describe(" (missing: ", added)}${describe(" (no longer readers: ", removed)}`,
          fix: `lockstep rekey ${id}`,
        }),
      );
    }
    // A version encrypted to exactly today's readers exposes it to no one but its former readers.
    const exposed = [...(same ? [] : v.recipients), ...(v.formerRecipients ?? [])].filter((r) => !current.has(key(r)));
    const members = [...new Set(exposed.map((r) => r.member))];
    if (members.length > 0) {
      out.push(
        finding("exposed-to-former-reader", {
          file,
          id,
          ...(await lineOf(m, ["versions", i])),
          message: `live version ${v.version} could be decrypted by ${members.join(", ")}, no longer ${members.length === 1 ? "a reader" : "readers"}`,
          fix: `${newValueCommand(id, data, config)}, then promote the new version to every stage`,
        }),
      );
    }
  }
}

/**
 * The command that gives a secret a new value: `rotate` when it has a way to
 * make one (a generator or rotation strategy of its own or lockstep.yaml's),
 * else `edit` or `set`, which take one from a person.
 */
export function newValueCommand(id: string, m: SecretManifest, config: ProjectConfig | undefined): string {
  const own = m.rotation;
  const generates =
    own?.generate !== undefined || own?.strategy !== undefined || config?.rotation?.generate !== undefined;
  return generates ? `lockstep rotate ${id}` : `lockstep edit ${id} (or lockstep set ${id}) with a new value`;
}

function describe(prefix: string, names: string[]): string {
  return names.length === 0 ? "" : `${prefix}${[...new Set(names)].join(", ")})`;
}

/**
 * A rotation that applies credentials: its settings, no stage on a retired
 * credential, and a previous credential that waited past revokeAfter.
 */
async function checkRotation(
  id: string,
  m: YamlFile<SecretManifest>,
  env: EnvironmentConfig,
  status: SecretStatus | undefined,
  out: Finding[],
): Promise<void> {
  const file = m.file;
  if (!appliesCredential(m.data.rotation)) return;
  try {
    checkRotationSettings(m.data.rotation, id, file);
  } catch (e) {
    const err = e as LockstepError;
    out.push(
      finding("schema-invalid", {
        file,
        id,
        ...(await lineOf(m, ["rotation"])),
        message: err.message,
        ...(err.fix !== undefined && { fix: err.fix }),
      }),
    );
  }
  for (const stage of stageNames(env)) {
    const v = m.data.versions.find((x) => x.version === m.data.stages[stage]);
    if (v?.revoked === undefined) continue;
    out.push(
      finding("stage-invalid", {
        file,
        id,
        ...(await lineOf(m, ["stages", stage])),
        message: `stage ${stage} points at version ${v.version}, whose credential was retired on ${v.revoked}`,
        fix: `point it at a version whose credential works (\`lockstep promote ${id}\`), or rotate`,
      }),
    );
  }
  const wait = status?.finish;
  const revokeAfter = m.data.rotation?.revokeAfter;
  if (wait?.ready && revokeAfter !== undefined) {
    out.push(
      finding("finish-overdue", {
        file,
        id,
        message: `the credential of version ${wait.previous} still works: it has waited for finish past revokeAfter (${revokeAfter}, due ${wait.due})`,
        fix: `lockstep rotate ${id} --finish`,
      }),
    );
  }
}
