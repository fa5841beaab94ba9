/** The session: what opening a repository reads, strictly or not, and what it keeps. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSession } from "../../src/ops/session.js";
import { NOW, type Sandbox, sandbox } from "./support.js";

describe("a session", () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await sandbox();
  });
  afterAll(() => s.cleanup());

  it("opens the repository above a folder, with its config, access lists and clock", async () => {
    const session = await s.open("alice", { dir: join(s.dir, "secrets") });
    expect(session.root).toBe(s.dir);
    expect(Object.keys(session.config.environments)).toEqual(["production"]);
    expect(Object.keys(session.access.members)).toEqual(["alice", "bob", "ci-production"]);
    expect(session.now()).toEqual(NOW);
  });

  it("outside a repository: NOT_A_REPOSITORY", async () => {
    const empty = await mkdtemp(join(tmpdir(), "lockstep-none-"));
    try {
      await expect(openSession({ dir: empty })).rejects.toMatchObject({ code: "NOT_A_REPOSITORY" });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("a broken access.yaml stops a strict opening; an open with strict: false throws only when it is read", async () => {
    const good = await s.read("access.yaml");
    await s.write("access.yaml", `${good}colour: red\n`);
    try {
      await expect(s.open()).rejects.toMatchObject({ code: "SCHEMA_INVALID", file: "access.yaml" });
      const lenient = await s.open("alice", { strict: false });
      expect(lenient.config.environments.production).toBeDefined();
      expect(() => lenient.access).toThrow(/unknown key "colour"/);
      expect(() => lenient.accessFile()).toThrow(/unknown key "colour"/);
    } finally {
      await s.write("access.yaml", good);
    }
  });

  it("loads identities only when asked, once", async () => {
    const session = await s.open("alice", { files: [join(s.dir, "missing.key")] });
    // Opening did not read the missing key file; asking does, and says which.
    const first = session.identities();
    await expect(first).rejects.toMatchObject({ code: "NO_IDENTITY" });
    expect(session.identities()).toBe(first);
  });

  it("names unknown environments and secrets with what exists", async () => {
    const session = await s.open();
    expect(() => session.secretId("staging/db")).toThrow(/no environment "staging"/);
    expect(() => session.secretId("production")).toThrow(expect.objectContaining({ code: "INVALID_ID" }));
    await expect(session.manifest("production/nothing")).rejects.toMatchObject({
      code: "UNKNOWN_SECRET",
      file: "secrets/production/nothing.yaml",
    });
  });
});
