/** The three-way merge of a manifest (core/merge.ts), on made-up versions: no crypto here. */
import { describe, expect, it } from "vitest";
import { mergeManifests } from "../../src/core/merge.js";
import type { SecretManifest, SecretVersion } from "../../src/core/model.js";

const ORDER = ["canary", "stable"];
const alice = { member: "alice", key: "age1alice" };
const bob = { member: "bob", key: "age1bob" };

function v(
  version: number,
  tag: string,
  created = `2026-01-0${version}T00:00:00Z`,
  recipients = [alice],
): SecretVersion {
  return { version, created, recipients, ciphertext: `ct-${tag}` };
}

function m(
  stages: Record<string, number>,
  versions: SecretVersion[],
  extra: Partial<SecretManifest> = {},
): SecretManifest {
  return { ...extra, stages, versions: [...versions].sort((a, b) => b.version - a.version) };
}

const base = m({ canary: 3, stable: 3 }, [v(1, "1"), v(2, "2"), v(3, "3")]);
const tags = (r: SecretManifest) => r.versions.map((x) => [x.version, x.ciphertext, x.mergedFrom]);

describe("mergeManifests", () => {
  it("keeps versions added on both sides: ours keep their number, theirs follow, marked mergedFrom", () => {
    const ours = m({ canary: 4, stable: 3 }, [...base.versions, v(4, "ours", "2026-02-01T00:00:00Z")]);
    const theirs = m({ canary: 4, stable: 3 }, [...base.versions, v(4, "theirs", "2026-02-02T00:00:00Z")]);
    const r = mergeManifests(base, ours, theirs, ORDER);
    expect(r.conflicts).toEqual([]);
    expect(r.renumbered).toEqual([{ from: 4, to: 5 }]);
    expect(tags(r.manifest)).toEqual([
      [5, "ct-theirs", 4],
      [4, "ct-ours", undefined],
      [3, "ct-3", undefined],
      [2, "ct-2", undefined],
      [1, "ct-1", undefined],
    ]);
    expect(r.manifest.stages).toEqual({ canary: 5, stable: 3 });
  });

  it("numbers several added versions consecutively, and two made in the same second stay two", () => {
    const t = "2026-02-01T00:00:00Z";
    const ours = m({ canary: 4, stable: 3 }, [...base.versions, v(4, "o4", t)]);
    const theirs = m({ canary: 5, stable: 3 }, [...base.versions, v(4, "t4", t), v(5, "t5", t)]);
    const r = mergeManifests(base, ours, theirs, ORDER);
    expect(r.renumbered).toEqual([
      { from: 4, to: 5 },
      { from: 5, to: 6 },
    ]);
    expect(r.manifest.stages.canary).toBe(6);
  });

  it("keeps a version only one side added under its own number (no re-encryption needed)", () => {
    const theirs = m({ canary: 4, stable: 3 }, [...base.versions, v(4, "t")]);
    const r = mergeManifests(base, base, theirs, ORDER);
    expect(r.renumbered).toEqual([]);
    expect(r.manifest.versions[0]).toMatchObject({ version: 4, ciphertext: "ct-t" });
    expect(r.manifest.stages).toEqual({ canary: 4, stable: 3 });
  });

  it("takes each side's stage moves: a rotation on one side, a promotion on the other", () => {
    const b = m({ canary: 3, stable: 2 }, base.versions);
    const ours = m({ canary: 4, stable: 2 }, [...base.versions, v(4, "o")]);
    const theirs = m({ canary: 3, stable: 3 }, base.versions);
    const r = mergeManifests(b, ours, theirs, ORDER);
    expect(r.manifest.stages).toEqual({ canary: 4, stable: 3 });
    expect(r.notes).toEqual([]);
  });

  it("a rollback wins over a promotion of the same version, and later stages come down with it", () => {
    const b = m({ canary: 3, stable: 2 }, base.versions);
    const ours = m({ canary: 3, stable: 3 }, base.versions); // promoted
    const theirs = m({ canary: 2, stable: 2 }, base.versions); // rolled back
    const r = mergeManifests(b, ours, theirs, ORDER);
    expect(r.manifest.stages).toEqual({ canary: 2, stable: 2 });
    expect(r.notes.join("\n")).toContain("not ahead of canary after its rollback");
  });

  it("raises an earlier stage rather than lose a later one's release", () => {
    const b = m({ canary: 2, stable: 2 }, base.versions);
    const ours = m({ canary: 2, stable: 3 }, base.versions); // a stage moved by hand ahead, kept
    const theirs = m({ canary: 2, stable: 2 }, base.versions);
    const r = mergeManifests(b, ours, theirs, ORDER);
    expect(r.manifest.stages).toEqual({ canary: 3, stable: 3 });
  });

  it("a rekey on one side wins over the untouched copy; pruned on one side and untouched on the other goes", () => {
    const rekeyed = { ...v(2, "2-rekeyed", "2026-01-02T00:00:00Z", [alice, bob]) };
    const ours = m(base.stages, [v(3, "3"), v(2, "2")]); // pruned 1
    const theirs = m(base.stages, [v(3, "3"), rekeyed, v(1, "1")]);
    const r = mergeManifests(base, ours, theirs, ORDER);
    expect(tags(r.manifest)).toEqual([
      [3, "ct-3", undefined],
      [2, "ct-2-rekeyed", undefined],
    ]);
  });

  it("keeps a version one side pruned while the other rekeyed it", () => {
    const ours = m(base.stages, [v(3, "3"), v(2, "2")]);
    const theirs = m(base.stages, [v(3, "3"), v(2, "2"), v(1, "1-rekeyed", "2026-01-01T00:00:00Z", [alice, bob])]);
    const r = mergeManifests(base, ours, theirs, ORDER);
    expect(r.manifest.versions.map((x) => x.version)).toEqual([3, 2, 1]);
  });

  it("keeps a rotation's times: a credential retired on one side stays retired, released is the later", () => {
    const revoked = { ...v(2, "2"), revoked: "2026-02-01T00:00:00Z" };
    const releasedOurs = { ...v(3, "3"), released: "2026-01-20T00:00:00Z" };
    const releasedTheirs = { ...v(3, "3"), released: "2026-01-25T00:00:00Z" };
    const ours = m(base.stages, [releasedOurs, v(2, "2"), v(1, "1"), v(4, "4")]);
    const theirs = m(base.stages, [releasedTheirs, revoked, v(1, "1")]);
    const r = mergeManifests(base, ours, theirs, ORDER);
    const at = (n: number) => r.manifest.versions.find((x) => x.version === n);
    expect(at(2)?.revoked).toBe("2026-02-01T00:00:00Z");
    expect(at(3)?.released).toBe("2026-01-25T00:00:00Z");
    expect(at(1)).toEqual(v(1, "1"));
    const back = mergeManifests(base, theirs, ours, ORDER);
    expect(back.manifest.versions.find((x) => x.version === 2)?.revoked).toBe("2026-02-01T00:00:00Z");
  });

  it("one commit on both sides (a cherry-pick) is one version", () => {
    const same = v(4, "same");
    const ours = m({ canary: 4, stable: 3 }, [...base.versions, same]);
    const theirs = m({ canary: 4, stable: 3 }, [...base.versions, same]);
    const r = mergeManifests(base, ours, theirs, ORDER);
    expect(r.manifest.versions.map((x) => x.version)).toEqual([4, 3, 2, 1]);
    expect(r.renumbered).toEqual([]);
  });

  it("in a rebase, a later commit's stage move follows its version to the number an earlier pick gave it", () => {
    // Pick 2 of a rebase: base = our commit 1 (v4 mine), ours = upstream with mine renumbered to 5,
    // theirs = our commit 2, which promoted v4 (mine) to stable.
    const t = "2026-02-01T00:00:00Z";
    const mine = v(4, "mine", t);
    const b = m({ canary: 4, stable: 3 }, [...base.versions, mine]);
    const ours = m({ canary: 5, stable: 3 }, [
      ...base.versions,
      v(4, "upstream", t),
      { ...mine, version: 5, ciphertext: "ct-mine-as-5" },
    ]);
    const theirs = m({ canary: 4, stable: 4 }, [...base.versions, mine]);
    const r = mergeManifests(b, ours, theirs, ORDER);
    expect(r.renumbered).toEqual([]);
    expect(r.manifest.stages).toEqual({ canary: 5, stable: 5 });
    expect(tags(r.manifest).slice(0, 2)).toEqual([
      [5, "ct-mine-as-5", undefined],
      [4, "ct-upstream", undefined],
    ]);
  });

  it("merges metadata each side changed alone; both changing one key differently is a conflict", () => {
    const b = m(base.stages, base.versions, { description: "d", env: "A" });
    const ours = m(base.stages, base.versions, { description: "ours", env: "A" });
    const theirs = m(base.stages, base.versions, { description: "d", env: "B" });
    expect(mergeManifests(b, ours, theirs, ORDER).manifest).toMatchObject({ description: "ours", env: "B" });
    const clash = m(base.stages, base.versions, { description: "theirs", env: "A" });
    expect(mergeManifests(b, ours, clash, ORDER).conflicts).toEqual(["description"]);
  });

  it("both sides adding the secret: two first versions, theirs numbered 2", () => {
    const ours = m({ canary: 1, stable: 1 }, [v(1, "o")]);
    const theirs = m({ canary: 1, stable: 1 }, [v(1, "t")]);
    const r = mergeManifests(undefined, ours, theirs, ORDER);
    expect(r.renumbered).toEqual([{ from: 1, to: 2 }]);
    expect(r.manifest.stages).toEqual({ canary: 2, stable: 2 });
  });
});
