/** export to a file, a folder, $GITHUB_ENV and standard output; exec's child environment. */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execEnvironment } from "../../src/ops/exec.js";
import { exportTo } from "../../src/ops/export-to.js";
import { setSecret } from "../../src/ops/set.js";
import { type Sandbox, sandbox } from "./support.js";

describe("export-to and exec", () => {
  let s: Sandbox;
  let out: string;
  beforeAll(async () => {
    s = await sandbox();
    out = await mkdtemp(join(tmpdir(), "lockstep-export-"));
    const session = await s.open();
    await setSecret(session, { id: "production/db/password", value: "first" });
    await setSecret(session, { id: "production/db/password", value: "line one\nline two" });
    await setSecret(session, { id: "production/api/token", value: "tok" });
  });
  afterAll(async () => {
    await s.cleanup();
    await rm(out, { recursive: true, force: true });
  });

  it("stdout: through the callback, or returned; the last stage by default", async () => {
    const session = await s.open("ci-production");
    const printed: string[] = [];
    const r = await exportTo(session, { env: "production", stdout: (t) => printed.push(t) });
    expect(r).toMatchObject({ env: "production", stage: "stable", to: "stdout" });
    expect(r.stdout).toBeUndefined();
    expect(printed.join("")).toBe("API_TOKEN='tok'\nDB_PASSWORD='first'\n");
    const returned = await exportTo(session, { env: "production", stage: "canary", format: "shell" });
    expect(returned.stdout).toBe("export API_TOKEN='tok'\nexport DB_PASSWORD='line one\nline two'\n");
  });

  it("a file (0600) and a folder of files, outside the working tree only", async () => {
    const session = await s.open("ci-production");
    const file = join(out, "app.env");
    expect((await exportTo(session, { env: "production", out: file, format: "json" })).to).toBe("file");
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ API_TOKEN: "tok", DB_PASSWORD: "first" });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const folder = join(out, "files");
    await exportTo(session, { env: "production", out: folder, format: "files" });
    expect((await readdir(folder)).sort()).toEqual(["API_TOKEN", "DB_PASSWORD"]);
    await expect(exportTo(session, { env: "production", out: join(s.dir, "leak.env") })).rejects.toMatchObject({
      code: "USAGE",
    });
    await expect(exportTo(session, { env: "production", format: "files" })).rejects.toThrow(/needs --out/);
  });

  it("github: every line of every value is masked before $GITHUB_ENV holds it", async () => {
    const session = await s.open("ci-production");
    const envFile = join(out, "github-env");
    await writeFile(envFile, "");
    const seen: { masks: string; envFile: string }[] = [];
    const r = await exportTo(session, {
      env: "production",
      stage: "canary",
      format: "github",
      githubEnv: envFile,
      stdout: (masks) => seen.push({ masks, envFile: "" }),
    });
    expect(r.to).toBe("github");
    // The masks came while $GITHUB_ENV was still empty.
    expect(seen).toEqual([{ masks: "::add-mask::tok\n::add-mask::line one\n::add-mask::line two\n", envFile: "" }]);
    expect(await readFile(envFile, "utf8")).toMatch(/^API_TOKEN<<ghadelimiter_[^\n]+\ntok\nghadelimiter_/);
    await expect(exportTo(session, { env: "production", format: "github" })).rejects.toThrow(/GITHUB_ENV/);
  });

  it("exec's child gets the values, and none of the variables an identity comes from", async () => {
    const session = await s.open("ci-production");
    const base = { PATH: "/bin", LOCKSTEP_AGE_KEY: "AGE-SECRET-KEY-1X", LOCKSTEP_AGE_KEY_FILE: "/k", API_TOKEN: "old" };
    expect(await execEnvironment(session, { env: "production", base })).toEqual({
      PATH: "/bin",
      API_TOKEN: "tok",
      DB_PASSWORD: "first",
    });
  });
});
