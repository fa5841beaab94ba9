/**
 * What shell completion offers from a secrets repository: its environments,
 * stages, consumers, members, groups and secret ids. Never a value; nothing
 * (not an error) outside a repository or when its files do not read.
 */
import { openSession } from "./session.js";

/** What the repository can list for completion. */
export type DynamicKind = "ids" | "envs" | "stages" | "consumers" | "members" | "groups";

/** The words of `kind` in the repository holding `dir`, sorted; `[]` if there is none. */
export async function completionWords(kind: DynamicKind, dir: string): Promise<string[]> {
  try {
    const session = await openSession({ dir });
    const envs = Object.values(session.config.environments);
    const words =
      kind === "envs"
        ? Object.keys(session.config.environments)
        : kind === "stages"
          ? envs.flatMap((e) => e.stages.map((s) => s.name))
          : kind === "consumers"
            ? envs.flatMap((e) => e.stages.flatMap((s) => s.consumers ?? []))
            : kind === "members"
              ? Object.keys(session.access.members)
              : kind === "groups"
                ? Object.keys(session.access.groups ?? {})
                : await session.files.listSecretIds();
    return [...new Set(words)].sort();
  } catch {
    return [];
  }
}
