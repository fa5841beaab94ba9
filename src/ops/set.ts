/**
 * `set`: a new secret, or a new version of one, encrypted to its readers
 * (the library's `Repository.set`).
 */
import type { SecretManifest } from "../core/model.js";
import { initialStages, stagesForNewVersion } from "../core/stages.js";
import type { Repository, SetOptions, SetResult } from "../repository.js";
import { emitManifest } from "../storage/manifest-emit.js";
import { validateValue } from "./values.js";

/**
 * The Document edits of manifests, loaded on first use: they bring the `yaml`
 * package, which read-only commands do without (see storage/yaml-file.ts).
 */
const editing = () => import("./manifest-doc.js");

/**
 * Creates a secret, or adds a version to it. A new secret points every
 * stage at version 1; a new version goes where `options.stages` says.
 */
export async function setSecret(repo: Repository, id: string, value: string, options: SetOptions): Promise<SetResult> {
  const sid = repo.secretId(id);
  const recipients = repo.parsedRecipients(sid.id);
  const file = repo.files.manifestFile(sid.id);
  return repo.files.withLock(file, async () => {
    const existing = await repo.files.readManifest(sid.id);
    const type = options.type ?? existing?.data.type ?? "string";
    await validateValue(repo.files, sid.id, value, type, options.schema ?? existing?.data.schema);
    const version = existing ? Math.max(...existing.data.versions.map((v) => v.version)) + 1 : 1;
    const entry = await repo.encryptVersion(sid.id, version, value, recipients);
    if (!existing) {
      const manifest: SecretManifest = {
        ...(options.description !== undefined && { description: options.description }),
        type,
        ...(options.schema !== undefined && { schema: options.schema }),
        ...(options.envName !== undefined && { env: options.envName }),
        ...(options.generator !== undefined && { rotation: { generate: options.generator } }),
        stages: initialStages(sid.environment),
        versions: [entry],
      };
      const text = emitManifest(manifest);
      if (text !== undefined) await repo.files.writeText(file, text);
      else await repo.files.writeDocument(file, (await editing()).newManifestDocument(manifest));
      return { id: sid.id, version, created: true, stages: Object.keys(manifest.stages) };
    }
    const moved = stagesForNewVersion(sid.environment, version, options.stages ?? "first");
    const { addVersion, setMetadata } = await editing();
    const doc = await existing.document();
    if (options.type !== undefined) setMetadata(doc, "type", options.type);
    setMetadata(doc, "description", options.description);
    setMetadata(doc, "schema", options.schema);
    setMetadata(doc, "env", options.envName);
    if (options.generator !== undefined && existing.data.rotation?.generate === undefined) {
      if (existing.data.rotation === undefined) setMetadata(doc, "rotation", { generate: options.generator });
      else doc.setIn(["rotation", "generate"], options.generator);
    }
    addVersion(doc, entry, moved);
    await repo.files.writeDocument(file, doc);
    return { id: sid.id, version, created: false, stages: Object.keys(moved) };
  });
}
