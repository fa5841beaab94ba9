/**
 * `lockstep check`: the pull-request gate. Reads every file of the secrets
 * repository and reports what breaks the rules, without a key (unless asked
 * to decrypt). It never stops at the first problem: a broken file is a
 * finding, and the rest is still checked.
 */
import { posix } from "node:path";
import { openEnvelope } from "../core/envelope.js";
import { type Finding, finding, sortFindings } from "../core/findings.js";
import { globMatches } from "../core/glob.js";
import { isSecretId } from "../core/ids.js";
import { scanText } from "../core/leaks.js";
import type { AccessConfig, ProjectConfig, SecretManifest } from "../core/model.js";
import { liveVersions } from "../core/stages.js";
import { type AgeIdentity, AgeRecipient, decryptArmored, withCryptoWorkers } from "../crypto/index.js";
import { GitError, LockstepError } from "../errors.js";
import { readBytesIfExists } from "../storage/fs.js";
import { codeownersPlace, trackedFiles, workTreeRoot } from "../storage/git.js";
import { ACCESS_FILE, CONFIG_FILE, type RepositoryFiles, SECRETS_DIR } from "../storage/layout.js";
import { readManifest } from "../storage/manifests.js";
import type { YamlFile } from "../storage/yaml-file.js";
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
  const state = await codeownersState(files.root, top, access, ids);
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

/**
 * Checks the whole repository: every file is read, and a broken one is a
 * finding, not an error (open the session with `strict: false`).
 * @throws what cannot be a finding: a file system or git failure; with `decrypt`, NoIdentityError if no identity is available.
 */
export async function checkRepository(session: Session, options: CheckOptions = {}): Promise<CheckReport> {
  const files = session.files;
  const out: Finding[] = [];
  const config = await readChecked(() => session.configFile(), CONFIG_FILE, out);
  const access = await readChecked(() => session.accessFile(), ACCESS_FILE, out);
  if (access) await checkAccess(access, out);
  const ids = await files.listSecretIds();
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
    if (!isSecretId(id)) return { id, file, m: undefined, bad: true, problems: [] as Finding[] };
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
  for (const file of files.leftoverFiles()) {
    out.push(
      finding("leftover-file", {
        file,
        message: `${file} is the temporary file of a write that was killed before it finished`,
        fix: `remove it (rm '${file}'); the file it was to replace is whole`,
      }),
    );
  }
  let undecrypted = 0;
  if (options.decrypt) {
    const identities = await session.identities();
    undecrypted = await checkValues(files, manifests, identities, out);
  }
  if (options.pathsFromGitRoot) {
    const { prefix } = await codeownersPlace(files.root, await workTreeRoot(files.root));
    for (const f of out) f.file = posix.normalize(`${prefix}${f.file}`);
  }
  return { findings: sortFindings(out), secrets: ids.length, undecrypted };
}
