/**
 * `lockstep check`: the pull-request gate. Reads every file of the secrets
 * repository and reports what breaks the rules, without a key (unless asked
 * to decrypt). It never stops at the first problem: a broken file is a
 * finding, and the rest is still checked.
 */
import { posix } from "node:path";
import { unknownNameFix } from "../core/access.js";
import { exportName, exportNameClashes } from "../core/env-names.js";
import { openEnvelopeBytes } from "../core/envelope.js";
import { type Finding, finding, sortFindings } from "../core/findings.js";
import { globMatches } from "../core/glob.js";
import { idCollisions } from "../core/ids.js";
import { scanText } from "../core/leaks.js";
import type { AccessConfig, ProjectConfig, SecretManifest } from "../core/model.js";
import { liveVersions } from "../core/stages.js";
import { type AgeIdentity, AgeRecipient, decryptArmored, recipientText, withCryptoWorkers } from "../crypto/index.js";
import { FileFormatError, GitError, LockstepError } from "../errors.js";
import { readBytesIfExists } from "../storage/fs.js";
import { codeownersPlace, trackedFiles, workTreeRoot } from "../storage/git.js";
import {
  ACCESS_FILE,
  CONFIG_FILE,
  outsideLinkError,
  type RepositoryFiles,
  SECRETS_DIR,
  type SecretFiles,
} from "../storage/layout.js";
import { readManifest } from "../storage/manifests.js";
import type { YamlFile } from "../storage/yaml-file.js";
import { checkAgainstBase } from "./check-base.js";
import { checkManifest, lineOf, manifestContext } from "./check-manifest.js";
import { codeownersState } from "./codeowners.js";
import { BULK_CONCURRENCY, mapLimit } from "./pool.js";
import type { Session } from "./session.js";
import { validateValue } from "./values.js";

/** Options of {@link checkRepository}. */
export interface CheckOptions {
  /** Also decrypt every live version (with the session's identities) and check its binding and value schema. */
  decrypt?: boolean;
  /**
   * A base revision (the pull request's target): versions that exist there
   * and were rewritten, renumbered, moved or removed are findings; with
   * `decrypt`, every version re-encrypted under its number must decrypt to
   * its value there.
   */
  base?: string;
  /**
   * Name files by their path from the git work tree's root instead of the
   * secrets repository's (they differ when it is a folder of a larger
   * repository): GitHub places annotations by such paths.
   */
  pathsFromGitRoot?: boolean;
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
  read: () => YamlFile<T> | Promise<YamlFile<T>>,
  file: string,
  out: Finding[],
): Promise<YamlFile<T> | undefined> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof FileFormatError && e.mergeConflict) {
      out.push(
        finding("merge-conflict", {
          file,
          ...(e.line !== undefined && { line: e.line }),
          message: "the file holds git's conflict markers: a merge left it unresolved",
          ...(e.fix !== undefined && { fix: e.fix }),
        }),
      );
      return undefined;
    }
    if (e instanceof LockstepError && e.code === "UNSAFE_PATH") {
      out.push(
        finding("link-outside", {
          file: e.file ?? file,
          message: e.message,
          ...(e.fix !== undefined && { fix: e.fix }),
        }),
      );
      return undefined;
    }
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
        fix: unknownNameFix(u.name, a),
      }),
    );
  }
  const claimed = new Map<string, string>();
  for (const [member, m] of Object.entries(a.members)) {
    for (const [i, key] of m.recipients.entries()) {
      const text = recipientText(key); // an SSH key line's comment aside
      const first = claimed.get(text);
      if (first === undefined) claimed.set(text, member);
      else if (first !== member) {
        out.push(
          finding("duplicate-recipient", {
            file: ACCESS_FILE,
            ...(await lineOf(access, ["members", member, "recipients", i])),
            message: `members ${first} and ${member} both claim the key ${abbreviate(key)}: whoever holds it reads as both, and removing one of them leaves it a reader`,
            fix: "a key belongs to one member: keep it under the one who holds the identity, give the other its own key (`lockstep keygen`)",
          }),
        );
      }
      if (!AgeRecipient.isValid(key)) {
        out.push(
          finding("invalid-recipient", {
            file: ACCESS_FILE,
            ...(await lineOf(access, ["members", member, "recipients", i])),
            message: `member ${member} has a recipient that is not a valid age recipient`,
            fix: "replace it with a public key: printed by `lockstep keygen` or `age-keygen` (age1...), or an SSH key line (ssh-ed25519 AAAA...)",
          }),
        );
      }
    }
  }
}

/** A key, short: an age key's start; an SSH key's type and end (every ssh-ed25519 key starts alike). */
function abbreviate(key: string): string {
  const [type, b64] = key.split(/\s+/);
  if (b64 !== undefined && b64.length > 16) return `${type} ...${b64.slice(-12)}`;
  return key.length > 24 ? `${key.slice(0, 20)}...` : key;
}

/**
 * The files git tracks, asked at once with the work tree's top (`top`):
 * outside a work tree, where git fails, nothing is tracked.
 */
async function tracked(files: RepositoryFiles, top: Promise<string | undefined>): Promise<string[]> {
  try {
    return await trackedFiles(files.root);
  } catch (e) {
    if (e instanceof GitError && (await top) === undefined) return [];
    throw e;
  }
}

async function scanLeaks(
  files: RepositoryFiles,
  paths: Promise<string[]>,
  config: ProjectConfig | undefined,
  out: Finding[],
): Promise<void> {
  const allow = config?.allow ?? [];
  for (const path of await paths) {
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
  top: string | undefined,
  access: AccessConfig,
  ids: string[],
  out: Finding[],
): Promise<void> {
  const state = await codeownersState(files, top, access, ids);
  if (state.actual === undefined) return; // not used by this repository
  if (state.actual !== state.expected()) {
    out.push(
      finding("codeowners-drift", {
        // Relative to the secrets repository, like every finding (`../../.github/CODEOWNERS` in a subfolder).
        file: state.relative,
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
  await withCryptoWorkers(() =>
    mapLimit(jobs, BULK_CONCURRENCY, async ({ id, m, n, i, v }) => {
      try {
        const bytes = await decryptArmored(
          v.ciphertext,
          identities,
          v.recipients.map((r) => r.key),
          { file: m.file, what: `${id} version ${n}` },
        );
        const value = openEnvelopeBytes(bytes, { id, version: n }, m.file);
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

/**
 * Checks the whole repository: every file is read, and a broken one is a
 * finding, not an error (open the session with `strict: false`).
 * @throws what cannot be a finding: a file system or git failure; with `decrypt`, NoIdentityError if no identity is
 * available; with `base`, UsageError for an unknown revision.
 */
export async function checkRepository(session: Session, options: CheckOptions = {}): Promise<CheckReport> {
  const files = session.files;
  const out: Finding[] = [];
  const config = await readChecked(() => session.configFile(), CONFIG_FILE, out);
  const access = await readChecked(() => session.accessFile(), ACCESS_FILE, out);
  if (access) await checkAccess(access, out);
  const scan = files.scanSecretFiles();
  const ids = scan.ids;
  checkSecretFiles(scan, out);
  // Leaks and CODEOWNERS ask git, whose processes run while the manifests are read.
  const top = workTreeRoot(files.root);
  const others = Promise.all([
    scanLeaks(files, tracked(files, top), config?.data, out),
    access ? top.then((t) => checkCodeowners(files, t, access.data, ids, out)) : undefined,
  ]);
  others.catch(() => {}); // a failure is thrown where it is awaited, below, not as an unhandled rejection
  const manifests: { id: string; m: YamlFile<SecretManifest> }[] = [];
  const context = manifestContext(config?.data, access?.data, session.now());
  // Read every manifest at once (the disk works while we parse), then check them in order.
  const read = await mapLimit(ids, BULK_CONCURRENCY, async (id) => {
    const file = files.manifestFile(id);
    const problems: Finding[] = [];
    const m = await readChecked(
      async () => {
        const r = await readManifest(files, id);
        if (!r) throw new Error(`${file} vanished`);
        return r;
      },
      file,
      problems,
    );
    return { id, m, problems };
  });
  for (const { id, m, problems } of read) {
    out.push(...problems);
    if (!m) continue;
    manifests.push({ id, m });
    await checkManifest(id, m, context, out);
  }
  await checkCopies(manifests, out);
  checkNameClashes(manifests, out);
  await others;
  for (const file of files.leftoverFiles()) {
    out.push(
      finding("leftover-file", {
        file,
        message: `${file} is the temporary file of a write that was killed before it finished`,
        fix: `remove it (rm '${file}'); the file it was to replace is whole`,
      }),
    );
  }
  const identities = options.decrypt ? await session.identities() : undefined;
  let undecrypted = identities ? await checkValues(files, manifests, identities, out) : 0;
  if (options.base !== undefined) {
    undecrypted += await checkAgainstBase(
      session,
      {
        rev: options.base,
        manifests,
        recipientsOf: context.recipientsOf,
        ...(identities !== undefined && { identities }),
      },
      out,
    );
  }
  if (options.pathsFromGitRoot) {
    const { prefix } = await codeownersPlace(files.root, await workTreeRoot(files.root));
    for (const f of out) f.file = posix.normalize(`${prefix}${f.file}`);
  }
  return { findings: sortFindings(out), secrets: ids.length, undecrypted };
}

/** What the secrets folder holds besides manifests of valid ids: stray files, links out, ids that collide. */
function checkSecretFiles(scan: SecretFiles, out: Finding[]): void {
  for (const file of scan.invalid) {
    out.push(
      finding("schema-invalid", {
        file,
        message: `${file} does not name a valid secret id (every command leaves it out)`,
        fix: "a stray copy: remove it; to rename a secret: `lockstep mv OLD NEW`; secret ids are <env>/<path>, segments of letters, digits, '.', '_' and '-'",
      }),
    );
  }
  for (const link of scan.outside) {
    const e = outsideLinkError(link);
    out.push(
      finding("link-outside", { file: link.rel, message: e.message, ...(e.fix !== undefined && { fix: e.fix }) }),
    );
  }
  for (const c of idCollisions(scan.ids)) {
    out.push(
      finding("id-collision", {
        file: `${SECRETS_DIR}/${c.id}.yaml`,
        id: c.id,
        message: `${c.id} and ${c.other} differ only by case (${c.path}): on macOS and Windows checkouts they are one file, and a write to one lands in the other`,
        fix: `rename one of them (\`lockstep mv ${c.id} NEW\`)`,
      }),
    );
  }
}

/**
 * Secrets of one environment that export under one variable name: export
 * and exec of the environment refuse them, so every deploy of it fails.
 */
function checkNameClashes(manifests: readonly { id: string; m: YamlFile<SecretManifest> }[], out: Finding[]): void {
  const byEnv = new Map<string, { id: string; name: string; consumers?: readonly string[] }[]>();
  for (const { id, m } of manifests) {
    const env = id.slice(0, id.indexOf("/"));
    const list = byEnv.get(env) ?? [];
    list.push({ id, name: exportName(id, m.data.env), ...(m.data.consumers && { consumers: m.data.consumers }) });
    byEnv.set(env, list);
  }
  for (const [env, secrets] of byEnv) {
    for (const clash of exportNameClashes(secrets)) {
      const [first, ...rest] = clash.ids as [string, ...string[]];
      out.push(
        finding("duplicate-variable-name", {
          file: `${SECRETS_DIR}/${rest[0] ?? first}.yaml`,
          id: rest[0] ?? first,
          message: `${clash.ids.join(" and ")} ${clash.ids.length === 2 ? "both" : "all"} export as ${clash.name} for a common consumer: export and exec of ${env} refuse them, so those deploys fail`,
          fix: `give all but one another variable name: \`lockstep set ${rest[0] ?? first} --keep-value --env NAME\``,
        }),
      );
    }
  }
}

/**
 * One ciphertext in two places: a manifest copied or moved by hand (its
 * versions stay bound to the id they were encrypted for), or a version
 * copied under another number. The place whose recorded id matches its
 * path keeps the ciphertext; otherwise the later one in id order is named.
 */
async function checkCopies(
  manifests: readonly { id: string; m: YamlFile<SecretManifest> }[],
  out: Finding[],
): Promise<void> {
  const first = new Map<string, { id: string; version: number }>();
  const owns = (id: string, m: YamlFile<SecretManifest>) => m.data.id === id;
  const byId = new Map(manifests.map((x) => [x.id, x.m]));
  for (const { id, m } of manifests) {
    for (const [i, v] of m.data.versions.entries()) {
      const seen = first.get(v.ciphertext);
      if (!seen) {
        first.set(v.ciphertext, { id, version: v.version });
        continue;
      }
      if (seen.id === id) {
        out.push(
          finding("versions-invalid", {
            file: m.file,
            id,
            ...(await lineOf(m, ["versions", i])),
            message: `version ${v.version} holds the same ciphertext as version ${seen.version}: bound to one number, it is refused under the other (exit 4)`,
            fix: "remove the copy; a new version is added with `lockstep set`",
          }),
        );
        continue;
      }
      // Name the copy: the one that does not record its own id, else the later one.
      const other = byId.get(seen.id);
      const copy = other && owns(id, m) && !owns(seen.id, other) ? seen.id : id;
      const original = copy === id ? seen.id : id;
      const copyManifest = byId.get(copy);
      if (!copyManifest) continue;
      out.push(
        finding("manifest-moved", {
          file: copyManifest.file,
          id: copy,
          message: `version ${v.version}'s ciphertext is also in ${byId.get(original)?.file ?? original}: a copy or a move by hand, it stays bound to the secret it was encrypted for (get and export refuse it, exit 4)`,
          fix: `a stray copy: remove it; to rename a secret: \`lockstep mv ${original} ${copy}\` (re-encrypts every version for the new id)`,
        }),
      );
    }
  }
}
