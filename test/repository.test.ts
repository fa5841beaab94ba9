import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { armor } from "age-encryption";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateKey, initRepository, openRepository, type Repository } from "../src/index.js";
import { emitManifest } from "../src/storage/manifest-emit.js";

/** A repository with alice (platform) and ci-production as readers of production/**. */
async function sandbox(): Promise<{
  dir: string;
  keys: Record<string, string>;
  open: (who: string) => Promise<Repository>;
}> {
  const dir = await mkdtemp(join(tmpdir(), "lockstep-lib-"));
  await initRepository({ dir });
  const keys: Record<string, string> = {};
  const recipients: Record<string, string> = {};
  for (const who of ["alice", "bob", "ci-production"]) {
    const k = await generateKey(false);
    keys[who] = join(dir, `${who}.test-only.key`);
    recipients[who] = k.recipient;
    await writeFile(keys[who], k.fileText, { mode: 0o600 });
  }
  const open = (who: string) =>
    openRepository({ dir, files: [keys[who] as string], now: () => new Date("2026-11-28T10:00:00Z") });
  const repo = await open("alice");
  await repo.addMember("alice", { keys: [recipients.alice as string], groups: ["platform"], github: "alice-gh" });
  await repo.addMember("bob", { keys: [recipients.bob as string] });
  await repo.addMember("ci-production", { keys: [recipients["ci-production"] as string] });
  const access = join(dir, "access.yaml");
  const text = await readFile(access, "utf8");
  await writeFile(
    access,
    text.replace(
      "rules: []",
      'rules:\n  - match: "production/**"\n    readers: [platform, ci-production]\n    approvers: [platform]',
    ),
  );
  return { dir, keys, open };
}

describe("the library", () => {
  let s: Awaited<ReturnType<typeof sandbox>>;
  beforeAll(async () => {
    s = await sandbox();
  });

  it("sets, gets and versions a secret, with the stage rules of DESIGN section 2", async () => {
    const repo = await s.open("alice");
    const first = await repo.set("production/db/password", "v1", { description: "db" });
    expect(first).toEqual({ id: "production/db/password", version: 1, created: true, stages: ["canary", "stable"] });
    const second = await repo.set("production/db/password", "second-VALUE");
    expect(second.stages).toEqual(["canary"]);
    expect(await repo.get("production/db/password")).toBe("second-VALUE");
    expect(await repo.get("production/db/password", { stage: "stable" })).toBe("v1");
    expect(await repo.get("production/db/password", { version: 1 })).toBe("v1");
    const ci = await s.open("ci-production");
    expect(await ci.get("production/db/password", { stage: "canary" })).toBe("second-VALUE");
    const info = await repo.show("production/db/password");
    expect(info).toMatchObject({ latest: 2, stages: { canary: 2, stable: 1 }, readers: ["alice", "ci-production"] });
    expect(info.versions.map((v) => v.version)).toEqual([2, 1]);
    // Upper case never occurs in age1 keys or dates, so this cannot match by chance.
    expect(JSON.stringify(info)).not.toContain("second-VALUE");
  });

  it("keeps the manifest's comments when adding a version", async () => {
    const repo = await s.open("alice");
    await repo.set("production/api/token", "t1");
    const file = join(s.dir, "secrets/production/api/token.yaml");
    await writeFile(file, `# owned by the api team\n${await readFile(file, "utf8")}`);
    await repo.rotate("production/api/token", { generate: "hex:8" });
    const text = await readFile(file, "utf8");
    expect(text.startsWith("# owned by the api team\n")).toBe(true);
    expect(text).toMatch(/version: 2[\s\S]*version: 1/);
  });

  it("a member added later reads old versions only after rekey", async () => {
    const repo = await s.open("alice");
    await repo.set("production/cache/url", "redis://x");
    const access = join(s.dir, "access.yaml");
    await writeFile(
      access,
      (await readFile(access, "utf8")).replace("platform: [ alice ]", "platform: [ alice, bob ]"),
    );
    const bob = await s.open("bob");
    await expect(bob.get("production/cache/url")).rejects.toMatchObject({ code: "NO_IDENTITY" });
    const rekeyed = await (await s.open("alice")).rekey(["production/cache/url"]);
    expect(rekeyed).toEqual([{ id: "production/cache/url", versions: [1], removed: [] }]);
    expect(await (await s.open("bob")).get("production/cache/url")).toBe("redis://x");
  });

  it("rekey keeps the file key when readers are only added, and picks a fresh one when a reader leaves", async () => {
    const access = join(s.dir, "access.yaml");
    const original = await readFile(access, "utf8");
    const platform = (members: string) => original.replace(/platform: \[[^\]]*\]/, `platform: [ ${members} ]`);
    await writeFile(access, platform("alice"));
    // The payload (nonce and ciphertext after the header) changes only with the file key.
    const payload = async () => {
      const manifest = parse(await readFile(join(s.dir, "secrets/production/cache/host.yaml"), "utf8"));
      const bytes = Buffer.from(armor.decode(manifest.versions[0].ciphertext));
      return bytes.subarray(bytes.indexOf("\n", bytes.indexOf("\n--- ") + 1) + 1).toString("hex");
    };
    await (await s.open("alice")).set("production/cache/host", "cache.internal");
    const before = await payload();
    await writeFile(access, platform("alice, bob"));
    await (await s.open("alice")).rekey(["production/cache/host"]);
    expect(await payload()).toBe(before);
    expect(await (await s.open("bob")).get("production/cache/host")).toBe("cache.internal");
    await writeFile(access, platform("alice"));
    const rekeyed = await (await s.open("alice")).rekey(["production/cache/host"]);
    expect(rekeyed).toEqual([{ id: "production/cache/host", versions: [1], removed: ["bob"] }]);
    expect(await payload()).not.toBe(before);
    expect(await (await s.open("alice")).get("production/cache/host")).toBe("cache.internal");
    await expect((await s.open("bob")).get("production/cache/host")).rejects.toMatchObject({ code: "NO_IDENTITY" });
    await writeFile(access, original);
  });

  it("rekey writes a hand-edited manifest through the Document API, formatted as the fast path writes it", async () => {
    const access = join(s.dir, "access.yaml");
    const original = await readFile(access, "utf8");
    const platform = (members: string) => original.replace(/platform: \[[^\]]*\]/, `platform: [ ${members} ]`);
    await writeFile(access, platform("alice"));
    const repo = await s.open("alice");
    await repo.set("production/queue/one", "q1");
    await repo.set("production/queue/two", "q2");
    const path = (id: string) => join(s.dir, `secrets/production/queue/${id}.yaml`);
    await writeFile(path("two"), `# hand-written\n${await readFile(path("two"), "utf8")}`);
    await writeFile(access, platform("alice, bob"));
    await (await s.open("alice")).rekey(["production/queue/one", "production/queue/two"]);
    const one = await readFile(path("one"), "utf8");
    const two = await readFile(path("two"), "utf8");
    expect(one).toBe(emitManifest(parse(one)));
    expect(two.startsWith("# hand-written\n")).toBe(true);
    expect(two.slice("# hand-written\n".length)).toBe(emitManifest(parse(two)));
    const bob = await s.open("bob");
    expect([await bob.get("production/queue/one"), await bob.get("production/queue/two")]).toEqual(["q1", "q2"]);
    await writeFile(access, original);
  });

  it("imports a .env file as one secret per variable, exporting under the same name", async () => {
    const repo = await s.open("alice");
    const result = await repo.import("production", 'DATABASE_URL="postgres://u:p@h/db"\nAPI_KEY=abc\n', {
      format: "dotenv",
      prefix: "web",
      source: "web.env",
    });
    expect(result.secrets.map((r) => [r.id, r.from.envName])).toEqual([
      ["production/web/database_url", "DATABASE_URL"],
      ["production/web/api_key", "API_KEY"],
    ]);
    expect((await repo.show("production/web/database_url")).env).toBe("DATABASE_URL");
    expect(await repo.get("production/web/api_key")).toBe("abc");
  });

  it("init makes the folder a git work tree", () => {
    expect(execFileSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: s.dir, encoding: "utf8" }).trim()).toBe(
      "true",
    );
  });
});
