/**
 * The lifecycle's use cases through the library, as a Node program calls
 * them: edit with an editor function, prune's rule, the merge driver on
 * three files, resolve, and the scratch folder's life.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { armor, Encrypter } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_PROMPTS } from "../../src/crypto/index.js";
import { editSecret } from "../../src/ops/edit.js";
import { getSecret } from "../../src/ops/get.js";
import { mergeDriver } from "../../src/ops/merge-driver.js";
import { prunable, pruneSecret } from "../../src/ops/prune.js";
import { resolveSecret } from "../../src/ops/resolve.js";
import { setSecret } from "../../src/ops/set.js";
import { type Sandbox, sandbox } from "./support.js";

describe("lifecycle use cases", () => {
  let s: Sandbox;
  let scratch: string;
  beforeAll(async () => {
    s = await sandbox();
    scratch = await mkdtemp(join(tmpdir(), "lockstep-scratch-"));
  });
  afterAll(async () => {
    await s.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  it("edit: the editor gets a private file; an invalid value is offered back; the valid one is a new version", async () => {
    const session = await s.open();
    const id = "production/app/config";
    await setSecret(session, { id, value: '{"a":1}', type: "json" });
    const seen: { file: string; mode: number; folderMode: number; text: string }[] = [];
    const problems: string[] = [];
    const r = await editSecret(session, {
      id,
      scratchDir: scratch,
      editor: async (file) => {
        seen.push({
          file,
          mode: (await stat(file)).mode & 0o777,
          folderMode: (await stat(join(file, ".."))).mode & 0o777,
          text: await readFile(file, "utf8"),
        });
        await writeFile(file, seen.length === 1 ? "{broken" : '{"a":2}\n');
      },
      retry: async (problem) => {
        problems.push(`${problem.code}: ${problem.message}`);
        return true;
      },
    });
    expect(r).toEqual({ id, from: 1, changed: true, version: 2, stages: ["canary"], inMemory: false });
    expect(seen.map((x) => [x.mode, x.folderMode, x.text])).toEqual([
      [0o600, 0o700, '{"a":1}\n'],
      [0o600, 0o700, "{broken"],
    ]);
    expect(problems).toEqual([`INVALID_VALUE: ${id}: the value is not valid JSON (type: json)`]);
    expect(await getSecret(session, { id })).toBe('{"a":2}');
    expect(existsSync(seen[0]?.file as string)).toBe(false);
  });

  it("edit: an editor that throws writes nothing and still removes the file", async () => {
    const session = await s.open();
    const id = "production/app/config";
    let file = "";
    await expect(
      editSecret(session, {
        id,
        scratchDir: scratch,
        editor: async (f) => {
          file = f;
          await writeFile(f, "changed");
          throw new Error("editor crashed");
        },
      }),
    ).rejects.toThrow("editor crashed");
    expect(existsSync(file)).toBe(false);
    expect(await getSecret(session, { id })).toBe('{"a":2}');
  });

  it("prune keeps a credential that still works where it lives, for rotate --finish", async () => {
    const session = await s.open();
    const id = "production/app/login";
    for (const value of ["one", "two", "three", "four"]) await setSecret(session, { id, value, stages: "all" });
    const file = "secrets/production/app/login.yaml";
    // A hook rotation: 1 and 2 retired by later rotations; 3 still works, awaiting rotate --finish.
    const text = (await s.read(file))
      .replace(/^stages:/m, "rotation:\n  strategy: hook\n  hooks:\n    set: [./set.sh]\nstages:")
      .replace(/(- version: [12]\n {4}created: .*\n)/g, "$1    revoked: 2026-01-01T00:00:00Z\n");
    await s.write(file, text);
    const r = await pruneSecret(await s.open(), { id, keep: 0 });
    expect(r).toMatchObject({ removed: [1, 2], kept: [3, 4] });
  });

  it("prune's rule: never live, never pending, the N newest kept", () => {
    expect(prunable([1, 2, 3, 4, 5], { canary: 5, stable: 3 }, 0)).toEqual([1, 2, 4]);
    expect(prunable([1, 2, 3, 4, 5], { canary: 5, stable: 3 }, 2)).toEqual([1, 2]);
    expect(prunable([1, 2, 3, 4, 5], { canary: 3, stable: 3 }, 0)).toEqual([1, 2]);
    expect(prunable([1], { canary: 1, stable: 1 }, 0)).toEqual([]);
    // A credential still working where it lives (awaiting rotate --finish) stays; retired ones go.
    expect(prunable([1, 2, 3, 4], { canary: 4, stable: 4 }, 0, new Set([3, 4]))).toEqual([1, 2]);
  });

  it("the merge driver renumbers their version, re-encrypts it with our key, and writes the merged manifest", async () => {
    const session = await s.open();
    const id = "production/db/pw";
    const file = join(s.dir, "secrets", "production", "db", "pw.yaml");
    await setSecret(session, { id, value: "base" });
    const base = await readFile(file, "utf8");
    await setSecret(session, { id, value: "ours" });
    const ours = await readFile(file, "utf8");
    await writeFile(file, base);
    await setSecret(session, { id, value: "theirs" });
    const theirs = await readFile(file, "utf8");
    const o = join(scratch, "O");
    const a = join(scratch, "A");
    const b = join(scratch, "B");
    await Promise.all([writeFile(o, base), writeFile(a, ours), writeFile(b, theirs)]);

    const keyless = await mergeDriver({
      base: o,
      ours: a,
      theirs: b,
      path: "secrets/production/db/pw.yaml",
      dir: s.dir,
      files: [s.keys.bob as string],
    });
    expect(keyless).toMatchObject({
      id,
      clean: false,
      renumbered: [{ from: 2, to: 3 }],
      unresolved: [3],
      canResolve: ["alice", "ci-production"],
    });
    await writeFile(file, await readFile(a, "utf8"));
    await expect(getSecret(session, { id, version: 3 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await resolveSecret(session, { id })).toMatchObject({ id, versions: [3], staged: false });
    expect(await getSecret(session, { id, version: 3 })).toBe("theirs");

    // A key behind a passphrase, with nobody to ask (git run from a GUI, CI): the conflict stays for resolve.
    await writeFile(a, ours);
    const e = new Encrypter();
    e.setPassphrase("hunter2 hunter2");
    e.setScryptWorkFactor(12);
    const locked = join(scratch, "alice.key.age");
    await writeFile(locked, armor.encode(await e.encrypt(await readFile(s.keys.alice as string, "utf8"))));
    const asked = await mergeDriver({
      base: o,
      ours: a,
      theirs: b,
      path: "secrets/production/db/pw.yaml",
      dir: s.dir,
      files: [locked],
      prompts: NO_PROMPTS,
    });
    expect(asked).toMatchObject({ clean: false, unresolved: [3] });
    expect(asked.notes.join("\n")).toMatch(/version 3: .*alice\.key\.age/);
    expect(await readFile(a, "utf8")).toMatch(/mergedFrom: 2/);

    await writeFile(a, ours);
    const keyed = await mergeDriver({
      base: o,
      ours: a,
      theirs: b,
      path: "secrets/production/db/pw.yaml",
      dir: s.dir,
      files: [s.keys.alice as string],
    });
    expect(keyed).toMatchObject({ clean: true, unresolved: [] });
    await writeFile(file, await readFile(a, "utf8"));
    expect(await getSecret(session, { id, version: 2 })).toBe("ours");
    expect(await getSecret(session, { id, version: 3 })).toBe("theirs");
    expect(await getSecret(session, { id, stage: "canary" })).toBe("theirs");
  });

  it("the merge driver gives a side that is not a manifest git's line merge, with conflict markers", async () => {
    const o = join(scratch, "O2");
    const a = join(scratch, "A2");
    const b = join(scratch, "B2");
    await Promise.all([writeFile(o, "x: 1\n"), writeFile(a, "x: 2\n"), writeFile(b, "x: 3\n")]);
    const r = await mergeDriver({ base: o, ours: a, theirs: b, dir: s.dir });
    expect(r.clean).toBe(false);
    expect(r.fellBack).toMatch(/not a valid manifest/);
    expect(await readFile(a, "utf8")).toMatch(
      /^<<<<<<< ours:manifest\nx: 2\n=======\nx: 3\n>>>>>>> theirs:manifest\n$/,
    );
  });
});
