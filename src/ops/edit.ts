/**
 * `edit`: a secret's newest value in a person's editor, as `sops edit` does
 * it. The value is decrypted into a private file (storage/scratch.ts), the
 * editor is run on it, and what comes back is checked against the secret's
 * type and value schema: a value that breaks them is shown and the editor
 * offered again, or the edit ends with nothing written. A value that did not
 * change adds no version. The file is removed on every way out.
 */

import { utf8Text } from "../core/bytes.js";
import type { StagePolicy } from "../core/stages.js";
import { LockstepError } from "../errors.js";
import { scratchFile } from "../storage/scratch.js";
import { commitIfAsked, ensureCanCommit } from "./commit.js";
import type { Session } from "./session.js";
import { setSecret, writeMessage } from "./set.js";
import { validateValue } from "./values.js";
import { decryptVersion } from "./versions.js";

/** Options of {@link editSecret}. */
export interface EditOptions {
  /** Where a new version goes (default: the first stage). */
  stages?: StagePolicy;
  /** Runs the editor on the file and resolves when it is closed (the CLI runs `$VISUAL`/`$EDITOR`). */
  editor: (file: string) => Promise<void>;
  /**
   * Called when the edited value breaks the secret's type or schema, with
   * the error (which never holds the value): `true` opens the editor again
   * on what was written, `false` ends the edit with nothing written
   * (default: `false`).
   */
  retry?: (problem: LockstepError) => Promise<boolean>;
  /** Where to make the private folder (default: /dev/shm if there is one, else the temporary folder). */
  scratchDir?: string;
  /** Commit the manifest when a version was added (`lockstep edit: ID version N`). */
  commit?: boolean;
}

/** What `edit` did. */
export interface EditResult {
  id: string;
  /** The version that was edited. */
  from: number;
  /** Whether the value changed (and a version was added). */
  changed: boolean;
  /** The new version, when it changed. */
  version?: number;
  /** The stages now pointing at the new version. */
  stages: string[];
  /** Whether the value stayed on a memory file system while it was edited. */
  inMemory: boolean;
  /** With `commit`, when a version was added: the commit that recorded it. */
  commit?: string;
}

/**
 * Edits a secret's newest value in an editor; adds a version if it changed.
 * @throws NoIdentityError (exit 3), IntegrityError (exit 4), LockstepError `INVALID_VALUE` (abandoned: nothing written), `CONFLICT` (a version was added meanwhile: nothing written),
 *   `NOT_COMMITTED` with `commit` (before the editor opens when git cannot commit or the manifest has uncommitted changes).
 */
export async function editSecret(session: Session, options: EditOptions & { id: string }): Promise<EditResult> {
  const sid = session.secretId(options.id);
  if (options.commit) await ensureCanCommit(session, [session.files.manifestFile(sid.id)]);
  const manifest = await session.manifest(sid.id);
  const newest = manifest.data.versions.reduce((a, b) => (b.version > a.version ? b : a));
  const value = utf8Text(await decryptVersion(session, sid.id, newest, manifest.file));
  if (value === undefined) {
    throw new LockstepError(
      "UNREPRESENTABLE_VALUE",
      `${sid.id} version ${newest.version} is not UTF-8 text, which an editor cannot show exactly; nothing was written`,
      { file: manifest.file, fix: `write the new value to a file, then \`lockstep set ${sid.id} --file FILE\`` },
    );
  }
  const type = manifest.data.type ?? "string";
  // Editors end a text with a line break: one is added for the editor and taken off again.
  const added = !value.endsWith("\n");
  const name = `${sid.path.split("/").at(-1)}${type === "json" ? ".json" : ".txt"}`;
  const scratch = await scratchFile(name, added ? `${value}\n` : value, options.scratchDir);
  try {
    for (;;) {
      await options.editor(scratch.path);
      let edited = (await scratch.read()).toString("utf8");
      if (added && edited.endsWith("\n")) edited = edited.slice(0, -1);
      const unchanged = { id: sid.id, from: newest.version, changed: false, stages: [], inMemory: scratch.inMemory };
      if (edited === value) return unchanged;
      try {
        await validateValue(session.files, sid.id, edited, type, manifest.data.schema);
      } catch (e) {
        if (!(e instanceof LockstepError) || e.code !== "INVALID_VALUE") throw e;
        if (options.retry && (await options.retry(e))) continue;
        throw new LockstepError("INVALID_VALUE", `${e.message}; nothing was written`, {
          ...(e.file !== undefined && { file: e.file }),
          fix: `run \`lockstep edit ${sid.id}\` again with a value that fits`,
          cause: e,
        });
      }
      const r = await setSecret(session, {
        id: sid.id,
        value: edited,
        ifLatest: newest.version,
        ...(options.stages !== undefined && { stages: options.stages }),
      });
      const done: EditResult = {
        id: sid.id,
        from: newest.version,
        changed: true,
        version: r.version,
        stages: r.stages,
        inMemory: scratch.inMemory,
      };
      return commitIfAsked(
        session,
        options.commit,
        done,
        [session.files.manifestFile(sid.id)],
        writeMessage("edit", r),
      );
    }
  } finally {
    scratch.remove();
  }
}
