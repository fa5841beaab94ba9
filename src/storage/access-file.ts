/**
 * Editing access.yaml: the one entry for writing it. An edit runs under the
 * file's lock on the file as it is now, and keeps its comments and order
 * (the Document edits are in access-doc.ts, loaded on first use); the
 * lines it did not mean to change stay byte for byte as they were.
 */
import type { AccessConfig } from "../core/model.js";
import type { AccessEditor } from "./access-doc.js";
import { ACCESS_FILE, type RepositoryFiles } from "./layout.js";
import { editedText } from "./yaml-file.js";

export type { AccessEditor };

/**
 * Reads access.yaml under its lock, lets `edit` look at its data and make
 * changes, and writes it back. If `edit` throws, nothing is written.
 * @throws what reading access.yaml throws, and what `edit` throws.
 */
export function editAccess<T>(
  files: RepositoryFiles,
  edit: (access: AccessConfig, editor: AccessEditor) => T,
): Promise<T> {
  return files.withLock(ACCESS_FILE, async () => {
    const file = await files.readAccess();
    const { accessEditor } = await import("./access-doc.js");
    let result: T | undefined;
    const text = await editedText(file, (doc) => {
      result = edit(file.data, accessEditor(doc, file.data));
    });
    await files.writeText(ACCESS_FILE, text);
    return result as T;
  });
}
