/**
 * `lockstep check`: the pull-request gate. Reads every file of the secrets
 * repository and reports what breaks the rules, without a key (unless asked
 * to decrypt). It never stops at the first problem: a broken file is a
 * finding, and the rest is still checked.
 */
import { relative, sep } from "node:path";
import { recipientKey as key, recipientKeys, recipientsResolver, sameRecipients } from "../core/access.js";
import { renderCodeowners } from "../core/codeowners.js";
import { openEnvelope } from "../core/envelope.js";
import { type Finding, finding, sortFindings } from "../core/findings.js";
import { globMatches } from "../core/glob.js";
import { isSecretId } from "../core/ids.js";
import { scanText } from "../core/leaks.js";
import type { AccessConfig, ProjectConfig, SecretManifest, VersionRecipient } from "../core/model.js";
import { liveVersions, stageProblems } from "../core/stages.js";
import { secretStatus } from "../core/status.js";
import { countStanzas, decryptArmored } from "../crypto/age.js";
import { type AgeIdentity, AgeRecipient } from "../crypto/keys.js";
import { withCryptoWorkers } from "../crypto/workers.js";
import { LockstepError } from "../errors.js";
import { readBytesIfExists, readTextIfExists } from "../storage/fs.js";
import { codeownersPlace, trackedFiles } from "../storage/git.js";
import { type IdentitySources, loadIdentities } from "../storage/identities.js";
import { ACCESS_FILE, CONFIG_FILE, RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import type { YamlFile } from "../storage/yaml-file.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import { validateValue } from "./values.js";

/** Options of {@link checkRepository}. */
export interface CheckOptions {
  /** Also decrypt every live version and check its binding and value schema. */
  decrypt?: boolean;
  /** Where identities come from, with `decrypt`. */
  identities?: IdentitySources;
  now?: Date;
}

/** What `check` found. */
export interface CheckReport {
  findings: Finding[];
  /** Secrets checked. */
  secrets: number;
  /** With `decrypt`: live versions that no identity of ours could open. */
  undecrypted: number;
}

const MAX_SCAN_BYTES = 1 << 20;

async function readChecked<T>(
  read: () => Promise<YamlFile<T>>,
  file: string,
  out: Finding[],
): Promise<YamlFile<T> | undefined> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof LockstepError && (e.code === "SCHEMA_INVALID" || e.code === "YAML_INVALID")) {
      out.push(
        finding("schema-invalid", {
          file,
          ...(e.line !== undefined && { line: e.line }),
          message: e.message,
          ...(e.fix !== undefined && { fix: e.fix }),
        }),
      );
      return undefined;
    }
    throw e;
  }
}

async function checkAccess(access: YamlFile<AccessConfig>, out: Finding[]): Promise<void> {
  const a = access.data;
  const unknown: { name: string; where: string; path: (string | number)[] }[] = [];
  for (const [g, names] of Object.entries(a.groups ?? {})) {
    for (const [i, n] of names.entries()) {
      if (!(n in a.members) && !(a.groups && n in a.groups))
        unknown.push({ name: n, where: `group ${g}`, path: ["groups", g, i] });
    }
  }
  for (const [r, rule] of (a.rules ?? []).entries()) {
    for (const field of ["readers", "approvers"] as const) {
      for (const [i, n] of (rule[field] ?? []).entries()) {
        if (!(n in a.members) && !(a.groups && n in a.groups)) {
          unknown.push({ name: n, where: `the ${field} of rule "${rule.match}"`, path: ["rules", r, field, i] });
        }
      }
    }
  }
  for (const u of unknown) {
    out.push(
      finding("unknown-member", {
        file: ACCESS_FILE,
        ...(await lineOf(access, u.path)),
        message: `${u.where} names "${u.name}", which is neither a member nor a group`,
        fix: `add it with \`lockstep member add ${u.name} --key age1...\`, or remove it`,
      }),
    );
  }
  for (const [member, m] of Object.entries(a.members)) {
    for (const [i, key] of m.recipients.entries()) {
      if (!AgeRecipient.isValid(key)) {
        out.push(
          finding("invalid-recipient", {
            file: ACCESS_FILE,
            ...(await lineOf(access, ["members", member, "recipients", i])),
            message: `member ${member} has a recipient that is not a valid age recipient`,
            fix: "replace it with the public key printed by `lockstep keygen` or `age-keygen` (age1...)",
          }),
        );
      }
    }
  }
}

/** The line of a finding, asked for only when there is a finding: a line costs a full parse of the file. */
async function lineOf(file: YamlFile<unknown>, path: (string | number)[]): Promise<{ line?: number }> {
  const line = await file.lineOf(path);
  return line === undefined ? {} : { line };
}

/** What every manifest is checked against, worked out once per run. */
interface ManifestContext {
  config: ProjectConfig | undefined;
  /** The recipients an id's live versions must have, when access.yaml is valid. */
  recipientsOf: ((id: string) => VersionRecipient[]) | undefined;
  /** `AgeRecipient.isValid`, remembered: the same keys recur in every manifest. */
  validRecipient: (key: string) => boolean;
  now: Date;
}

function manifestContext(
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

async function checkManifest(
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
        fix: `lockstep rotate ${id}`,
      }),
    );
  }
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
    if (!sameRecipients(v.recipients, wanted)) {
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
    const exposed = [...v.recipients, ...(v.formerRecipients ?? [])].filter((r) => !current.has(key(r)));
    const members = [...new Set(exposed.map((r) => r.member))];
    if (members.length > 0) {
      out.push(
        finding("exposed-to-former-reader", {
          file,
          id,
          ...(await lineOf(m, ["versions", i])),
          message: `live version ${v.version} could be decrypted by ${members.join(", ")}, no longer ${members.length === 1 ? "a reader" : "readers"}`,
          fix: `lockstep rotate ${id}, then promote the new version to every stage`,
        }),
      );
    }
  }
}

function describe(prefix: string, names: string[]): string {
  return names.length === 0 ? "" : `${prefix}${[...new Set(names)].join(", ")})`;
}

async function scanLeaks(files: RepositoryFiles, config: ProjectConfig | undefined, out: Finding[]): Promise<void> {
  const allow = config?.allow ?? [];
  for (const path of await trackedFiles(files.root)) {
    if (path.startsWith(`${SECRETS_DIR}/`) && path.endsWith(".yaml")) continue;
    if (allow.some((glob) => globMatches(glob, path))) continue;
    const buf = await readBytesIfExists(files.abs(path));
    if (!buf) continue; // deleted in the working tree
    if (buf.length > MAX_SCAN_BYTES || buf.includes(0)) continue;
    for (const leak of scanText(path, buf.toString("utf8"))) {
      out.push(
        finding("plaintext-secret", {
          file: path,
          line: leak.line,
          message: `this tracked file holds what looks like ${leak.what}`,
          fix: `move the value into a secret (\`lockstep set\` or \`lockstep import\`), remove the file from Git and rotate what leaked; if it is not a secret, add "${path}" to allow: in ${CONFIG_FILE}`,
        }),
      );
    }
  }
}

async function checkCodeowners(
  files: RepositoryFiles,
  access: AccessConfig,
  ids: string[],
  out: Finding[],
): Promise<void> {
  const place = await codeownersPlace(files.root);
  const actual = await readTextIfExists(place.file);
  if (actual === undefined) return; // not used by this repository
  if (actual !== renderCodeowners(access, ids, place.prefix)) {
    out.push(
      finding("codeowners-drift", {
        // Relative to the secrets repository, like every finding (`../../.github/CODEOWNERS` in a subfolder).
        file: relative(files.root, place.file).split(sep).join("/"),
        message: "CODEOWNERS differs from the approvers in access.yaml",
        fix: "lockstep codeowners --write",
      }),
    );
  }
}

async function checkValues(
  files: RepositoryFiles,
  manifests: { id: string; m: YamlFile<SecretManifest> }[],
  identities: AgeIdentity[],
  out: Finding[],
): Promise<number> {
  let undecrypted = 0;
  const jobs = manifests.flatMap(({ id, m }) =>
    [...liveVersions(m.data)].flatMap((n) => {
      const i = m.data.versions.findIndex((v) => v.version === n);
      const v = m.data.versions[i];
      return v ? [{ id, m, n, i, v }] : [];
    }),
  );
  await withCryptoWorkers(jobs.length, jobs.length, identities, () =>
    mapLimit(jobs, BULK_CONCURRENCY, async ({ id, m, n, i, v }) => {
      try {
        const bytes = await decryptArmored(
          v.ciphertext,
          identities,
          v.recipients.map((r) => r.key),
          { file: m.file, what: `${id} version ${n}` },
        );
        const value = openEnvelope(bytes, { id, version: n }, m.file);
        await validateValue(files, id, value, m.data.type ?? "string", m.data.schema);
      } catch (e) {
        if (e instanceof LockstepError && e.code === "NO_IDENTITY") {
          undecrypted++;
          return;
        }
        if (
          e instanceof LockstepError &&
          (e.code === "INTEGRITY" || e.code === "INVALID_VALUE" || e.code === "SCHEMA_INVALID")
        ) {
          out.push(
            finding("value-invalid", {
              file: m.file,
              id,
              ...(await lineOf(m, ["versions", i])),
              message: `version ${n}: ${e.message.replace(`${id} version ${n}: `, "").replace(`${id}: `, "")}`,
              ...(e.fix !== undefined && { fix: e.fix }),
            }),
          );
          return;
        }
        throw e;
      }
    }),
  );
  return undecrypted;
}

/** Checks the repository at `root` (the folder of lockstep.yaml). */
export async function checkRepository(root: string, options: CheckOptions = {}): Promise<CheckReport> {
  const files = new RepositoryFiles(root);
  const out: Finding[] = [];
  const config = await readChecked(() => files.readConfig(), CONFIG_FILE, out);
  const access = await readChecked(() => files.readAccess(), ACCESS_FILE, out);
  if (access) await checkAccess(access, out);
  const ids = await files.listSecretIds();
  // Leaks and CODEOWNERS ask git, whose processes run while the manifests are read.
  const others = Promise.all([
    scanLeaks(files, config?.data, out),
    access ? checkCodeowners(files, access.data, ids, out) : undefined,
  ]);
  others.catch(() => {}); // a failure is thrown where it is awaited, below, not as an unhandled rejection
  const manifests: { id: string; m: YamlFile<SecretManifest> }[] = [];
  const context = manifestContext(config?.data, access?.data, options.now ?? new Date());
  // Read every manifest at once (the disk works while we parse), then check them in order.
  const read = await mapLimit(ids, BULK_CONCURRENCY, async (id) => {
    const file = files.manifestFile(id);
    if (!isSecretId(id)) return { id, file, m: undefined, bad: true, problems: [] as Finding[] };
    const problems: Finding[] = [];
    const m = await readChecked(
      async () => {
        const r = await files.readManifest(id);
        if (!r) throw new Error(`${file} vanished`);
        return r;
      },
      file,
      problems,
    );
    return { id, file, m, bad: false, problems };
  });
  for (const { id, file, m, bad, problems } of read) {
    if (bad) {
      out.push(
        finding("schema-invalid", {
          file,
          message: `${file} does not name a valid secret id`,
          fix: "secret ids are <env>/<path>, segments of letters, digits, '.', '_' and '-'",
        }),
      );
      continue;
    }
    out.push(...problems);
    if (!m) continue;
    manifests.push({ id, m });
    await checkManifest(id, m, context, out);
  }
  await others;
  let undecrypted = 0;
  if (options.decrypt) {
    const identities = await loadIdentities(options.identities ?? {});
    undecrypted = await checkValues(files, manifests, identities, out);
  }
  return { findings: sortFindings(out), secrets: ids.length, undecrypted };
}
