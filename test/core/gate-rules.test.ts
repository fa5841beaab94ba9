/**
 * The pure rules of the gate (issue 14): variables that steer execution,
 * ids that alias on case-insensitive checkouts or that git refuses, a
 * manifest's version list and recorded id, versions against a base
 * revision, git's conflict markers, and "did you mean".
 */
import { describe, expect, it } from "vitest";
import { conflictMarkerLine } from "../../src/core/conflicts.js";
import { openEnvelope } from "../../src/core/envelope.js";
import { idCollisions, isSecretId } from "../../src/core/ids.js";
import {
  assertRecordedId,
  newestVersionNumber,
  pickVersion,
  versionListProblems,
} from "../../src/core/manifest-integrity.js";
import type { SecretManifest, SecretVersion } from "../../src/core/model.js";
import { versionsAgainstBase } from "../../src/core/rewrites.js";
import { steersExecution, variableAllowed } from "../../src/core/steering.js";
import { closestNames, editDistance } from "../../src/core/suggest.js";
import type { LockstepError } from "../../src/errors.js";

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as LockstepError).code;
  }
  return undefined;
};

describe("variables that steer execution", () => {
  it.each([
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "BASH_ENV",
    "ENV",
    "IFS",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PERL5OPT",
    "RUBYOPT",
    "JAVA_TOOL_OPTIONS",
    "GIT_SSH_COMMAND",
    "GIT_CONFIG_COUNT",
    "BASH_FUNC_ls%%",
    "GLIBC_TUNABLES",
  ])("%s steers", (name) => {
    expect(steersExecution(name)).toBe(true);
    expect(variableAllowed(name, [])).toBe(false);
    expect(variableAllowed(name, [name])).toBe(true);
  });
  it.each(["DATABASE_URL", "API_KEY", "PATHNAME", "MY_PATH", "GIT_TOKEN", "NODE_ENV", "ENVIRONMENT"])(
    "%s does not",
    (name) => {
      expect(steersExecution(name)).toBe(false);
      expect(variableAllowed(name, undefined)).toBe(true);
    },
  );
  it("allowing one name allows no other", () => {
    expect(variableAllowed("LD_PRELOAD", ["PATH"])).toBe(false);
  });
});

describe("ids git refuses, and ids that alias", () => {
  it.each(["production/.git/x", "production/.GIT/x", "production/.git./x", "production/a/.Git.../b"])(
    "%s is refused",
    (id) => expect(isSecretId(id)).toBe(false),
  );
  it.each(["production/.gitignore", "production/git/x", "production/x.git/y", "production/.github/token"])(
    "%s is fine",
    (id) => expect(isSecretId(id)).toBe(true),
  );
  it("reports manifests, and folders on the way, that differ only by case (or a folder's trailing dots)", () => {
    expect(idCollisions(["production/db", "production/DB"])).toEqual([
      { id: "production/DB", other: "production/db", path: "secrets/production/DB.yaml" },
    ]);
    expect(idCollisions(["production/api/key", "production/API/token"])).toEqual([
      { id: "production/API/token", other: "production/api/key", path: "secrets/production/API" },
    ]);
    expect(idCollisions(["Production/x", "production/y"])).toEqual([
      { id: "production/y", other: "Production/x", path: "secrets/production" },
    ]);
    expect(idCollisions(["production/a./x", "production/a/y"])).toHaveLength(1);
    // A folder and a manifest of one name are two files; distinct names are fine.
    expect(idCollisions(["production/db", "production/db/password", "production/dbx"])).toEqual([]);
    // A manifest's name ends in .yaml: a trailing dot there is part of the name.
    expect(idCollisions(["production/a.", "production/a"])).toEqual([]);
  });
});

const version = (
  n: number,
  ciphertext = `ct-${n}`,
  recipients = [{ member: "alice", key: "age1a" }],
): SecretVersion => ({
  version: n,
  created: "2026-11-28T10:00:00Z",
  recipients,
  ciphertext,
});
const manifest = (versions: SecretVersion[], extra: Partial<SecretManifest> = {}): SecretManifest => ({
  stages: {},
  versions,
  ...extra,
});

describe("a manifest's version list and recorded id", () => {
  it("a sound list: no problems; the newest is the highest number", () => {
    const m = manifest([version(3), version(2), version(1)]);
    expect(versionListProblems(m)).toEqual([]);
    expect(pickVersion("p/x", m, "f")?.version).toBe(3);
    expect(pickVersion("p/x", m, "f", 2)?.version).toBe(2);
  });
  it("two versions of one number, and a list out of order: refused with the integrity error", () => {
    const dup = manifest([version(2, "a"), version(2, "b"), version(1)]);
    expect(versionListProblems(dup)).toEqual([expect.objectContaining({ kind: "duplicate", version: 2, index: 1 })]);
    expect(codeOf(() => pickVersion("p/x", dup, "f", 2))).toBe("INTEGRITY");
    expect(codeOf(() => pickVersion("p/x", dup, "f", 1))).toBe("INTEGRITY");
    const order = manifest([version(1), version(3), version(2)]);
    expect(versionListProblems(order)).toEqual([expect.objectContaining({ kind: "order", version: 3, index: 1 })]);
    expect(newestVersionNumber(order)).toBe(3);
    expect(codeOf(() => pickVersion("p/x", order, "f"))).toBe("INTEGRITY");
  });
  it("a recorded id other than the path's: the integrity error; none recorded passes", () => {
    expect(codeOf(() => assertRecordedId("p/b", { id: "p/a" }, "secrets/p/b.yaml"))).toBe("INTEGRITY");
    expect(codeOf(() => assertRecordedId("p/b", { id: "p/b" }, "f"))).toBeUndefined();
    expect(codeOf(() => assertRecordedId("p/b", {}, "f"))).toBeUndefined();
  });
});

describe("versions against a base", () => {
  const alice = { member: "alice", key: "age1a" };
  const bob = { member: "bob", key: "age1b" };
  const base = manifest([version(2, "ct-2", [alice]), version(1, "ct-1", [alice])]);
  it("unchanged: nothing", () => {
    expect(versionsAgainstBase(base, base, [alice])).toEqual({
      rekeyed: [],
      rewritten: [],
      renumbered: [],
      removed: [],
    });
  });
  it("a new ciphertext under the same number and recipients: rewritten", () => {
    const now = manifest([version(2, "forged", [alice]), version(1, "ct-1", [alice])]);
    expect(versionsAgainstBase(base, now, [alice]).rewritten).toEqual([expect.objectContaining({ version: 2 })]);
  });
  it("re-encrypted to exactly today's readers: a rekey; to others: rewritten", () => {
    const rekeyed = manifest([version(2, "new-2", [alice, bob]), version(1, "new-1", [alice, bob])]);
    expect(versionsAgainstBase(base, rekeyed, [alice, bob])).toMatchObject({ rekeyed: [1, 2], rewritten: [] });
    expect(versionsAgainstBase(base, rekeyed, [alice]).rewritten.map((r) => r.version)).toEqual([1, 2]);
  });
  it("recipients changed, ciphertext not: rewritten; former recipients dropped: rewritten", () => {
    const relabelled = manifest([version(2, "ct-2", [bob]), version(1, "ct-1", [alice])]);
    expect(versionsAgainstBase(base, relabelled, [bob]).rewritten.map((r) => r.version)).toEqual([2]);
    const withFormer = manifest([{ ...version(2, "ct-2", [alice]), formerRecipients: [bob] }, version(1)]);
    const dropped = manifest([version(2, "ct-2", [alice]), version(1)]);
    expect(versionsAgainstBase(withFormer, dropped, [alice]).rewritten).toEqual([
      expect.objectContaining({ version: 2, why: expect.stringContaining("bob") }),
    ]);
  });
  it("a ciphertext under another number: renumbered; one gone: removed", () => {
    const now = manifest([version(3, "ct-2", [alice])]);
    expect(versionsAgainstBase(base, now, [alice])).toEqual({
      rekeyed: [],
      rewritten: [],
      renumbered: [{ from: 2, to: 3 }],
      removed: [1],
    });
  });
});

describe("git's conflict markers", () => {
  it("finds the first marker line, of any conflict style", () => {
    expect(conflictMarkerLine("a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> other\n")).toBe(2);
    expect(conflictMarkerLine("a: 1\n||||||| base\n")).toBe(2);
    expect(conflictMarkerLine("a: 1\r\n=======\r\n")).toBe(2);
  });
  it("ignores look-alikes: indented, longer or shorter runs", () => {
    expect(conflictMarkerLine("a: |\n  <<<<<<< x\n<<<<<<<< eight\n<<<<<< six\n")).toBeUndefined();
  });
});

describe("did you mean", () => {
  it("measures edits", () => {
    expect(editDistance("alcie", "alice")).toBe(2);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("bob", "bob")).toBe(0);
  });
  it("suggests the nearest known names, none when nothing is near", () => {
    expect(closestNames("alcie", ["alice", "bob", "ci-production"])).toEqual(["alice"]);
    expect(closestNames("Bobb", ["alice", "bob"])).toEqual(["bob"]);
    expect(closestNames("zzzzzz", ["alice", "bob"])).toEqual([]);
  });
});

describe("an envelope's claims are named only when they are a place", () => {
  const open = (claims: unknown) =>
    openEnvelope(new TextEncoder().encode(JSON.stringify(claims)), { id: "p/x", version: 1 }, "f");
  it("a copied ciphertext names where it belongs", () => {
    expect(() => open({ lockstep: 1, id: "p/y", version: 2, value: "v" })).toThrow(/belongs to p\/y version 2/);
  });
  it("a forged envelope's free text is never echoed", () => {
    let message = "";
    try {
      open({ lockstep: 1, id: "hunter2 the value itself", version: 1.5, value: "v" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("another secret or version");
    expect(message).not.toContain("hunter2");
  });
});
