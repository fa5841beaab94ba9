/**
 * Use cases with values as bytes (issue 15): set and get keep every byte,
 * empty values and invalid variable names are refused, metadata changes add
 * no version, and whatever cannot carry a value exactly refuses it.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { checkRepository } from "../../src/ops/check.js";
import { execEnvironment } from "../../src/ops/exec.js";
import { exportTo } from "../../src/ops/export-to.js";
import { getSecret, getSecretBytes } from "../../src/ops/get.js";
import { importSecrets } from "../../src/ops/import.js";
import { setSecret } from "../../src/ops/set.js";
import { setSecretMetadata } from "../../src/ops/set-metadata.js";
import { type Sandbox, sandbox } from "./support.js";

const KEYSTORE = Uint8Array.of(0x00, 0x01, 0xff, 0xfe, 0x80, 0x61, 0x62, 0x63);

describe("values as bytes", () => {
  let s: Sandbox;
  let out: string;
  beforeAll(async () => {
    s = await sandbox();
    out = await mkdtemp(join(tmpdir(), "lockstep-bytes-out-"));
  });
  afterAll(async () => {
    await s.cleanup();
    await rm(out, { recursive: true, force: true });
  });

  it("set and get keep any bytes; text reads as text, bytes that are not UTF-8 only as bytes", async () => {
    const session = await s.open();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (value) => {
        await setSecret(session, { id: "production/prop/bytes", value });
        expect(await getSecretBytes(session, { id: "production/prop/bytes" })).toEqual(value);
      }),
      { numRuns: 15 },
    );
    await setSecret(session, { id: "production/tls/keystore", value: KEYSTORE });
    await expect(getSecret(session, { id: "production/tls/keystore" })).rejects.toMatchObject({
      code: "UNREPRESENTABLE_VALUE",
    });
    await setSecret(session, { id: "production/app/text", value: "päss\r\n" });
    expect(await getSecret(session, { id: "production/app/text" })).toBe("päss\r\n");
  });

  it("exec's environment and the text formats refuse a key store; files and k8s carry it", async () => {
    const session = await s.open("ci-production");
    await expect(execEnvironment(session, { env: "production", base: {} })).rejects.toMatchObject({
      code: "UNREPRESENTABLE_VALUE",
      message: expect.stringContaining("an environment variable cannot carry this value exactly"),
    });
    await expect(exportTo(session, { env: "production", format: "dotenv" })).rejects.toMatchObject({
      code: "UNREPRESENTABLE_VALUE",
    });
    await exportTo(session, { env: "production", format: "files", out: join(out, "files") });
    expect(new Uint8Array(await readFile(join(out, "files", "TLS_KEYSTORE")))).toEqual(KEYSTORE);
    const k8s = await exportTo(session, { env: "production", format: "k8s" });
    expect(k8s.stdout).toContain(`"TLS_KEYSTORE": "${Buffer.from(KEYSTORE).toString("base64")}"`);
    expect(k8s.stdout).toContain('name: "production-stable"');
  });

  it("an empty value needs allowEmpty", async () => {
    const session = await s.open();
    await expect(setSecret(session, { id: "production/app/empty", value: "" })).rejects.toMatchObject({
      code: "INVALID_VALUE",
      fix: expect.stringContaining("--allow-empty"),
    });
    expect(await setSecret(session, { id: "production/app/empty", value: "", allowEmpty: true })).toMatchObject({
      version: 1,
    });
  });

  it("a default variable name that is no POSIX name needs envName", async () => {
    const session = await s.open();
    await expect(setSecret(session, { id: "production/2fa/seed", value: "x" })).rejects.toMatchObject({
      code: "INVALID_NAME",
    });
    await setSecret(session, { id: "production/2fa/seed", value: "x", envName: "SEED_2FA" });
    // A manifest made some other way is reported by check.
    await mkdir(join(s.dir, "secrets/production/3d"));
    await s.write(
      "secrets/production/3d/key.yaml",
      (await s.read("secrets/production/2fa/seed.yaml")).replace(/^env: SEED_2FA\n/m, ""),
    );
    const report = await checkRepository(await s.open());
    expect(report.findings.filter((f) => f.code === "invalid-variable-name").map((f) => f.id)).toEqual([
      "production/3d/key",
    ]);
    await rm(join(s.dir, "secrets/production/3d"), { recursive: true });
  });

  it("setSecretMetadata changes metadata and adds no version", async () => {
    const session = await s.open();
    const before = await s.read("secrets/production/app/text.yaml");
    const r = await setSecretMetadata(session, { id: "production/app/text", description: "d", envName: "APP_TEXT_2" });
    expect(r).toEqual({ id: "production/app/text", changed: ["description", "envName"], version: 1 });
    const after = await s.read("secrets/production/app/text.yaml");
    expect(after).toContain("description: d");
    expect(after).toContain("env: APP_TEXT_2");
    expect(after.slice(after.indexOf("versions:"))).toBe(before.slice(before.indexOf("versions:")));
    await expect(setSecretMetadata(session, { id: "production/app/text", envName: "9X" })).rejects.toMatchObject({
      code: "INVALID_NAME",
    });
    await expect(setSecretMetadata(session, { id: "production/app/none", description: "x" })).rejects.toMatchObject({
      code: "UNKNOWN_SECRET",
    });
  });

  it("setSecretMetadata changes consumers and rotation's maximum age, checked, and adds no version", async () => {
    const config = await s.read("lockstep.yaml");
    await s.write(
      "lockstep.yaml",
      config
        .replace("consumers: []  ", "consumers: [api-canary]")
        .replace(/consumers: \[\]$/m, "consumers: [api, worker]"),
    );
    const session = await s.open();
    const id = "production/app/text";
    const before = await s.read(`secrets/${id}.yaml`);
    const r = await setSecretMetadata(session, { id, consumers: ["api", "worker"], maxAge: "30d" });
    expect(r).toEqual({ id, changed: ["consumers", "maxAge"], version: 1 });
    const after = parseYaml(await s.read(`secrets/${id}.yaml`));
    expect(after).toMatchObject({ consumers: ["api", "worker"], rotation: { maxAge: "30d" } });
    expect(after.versions).toEqual(parseYaml(before).versions);
    expect(after.stages).toEqual(parseYaml(before).stages);
    // The same again changes nothing; the rest of rotation: stays.
    await s.write(
      `secrets/${id}.yaml`,
      (await s.read(`secrets/${id}.yaml`)).replace("maxAge: 30d", "maxAge: 30d\n  generate: uuid"),
    );
    expect(await setSecretMetadata(session, { id, consumers: ["api", "worker"], maxAge: "30d" })).toMatchObject({
      changed: [],
    });
    await setSecretMetadata(session, { id, maxAge: "2w" });
    expect(parseYaml(await s.read(`secrets/${id}.yaml`)).rotation).toEqual({ maxAge: "2w", generate: "uuid" });
    await expect(setSecretMetadata(session, { id, consumers: ["nobody"] })).rejects.toMatchObject({
      code: "UNKNOWN_STAGE",
    });
    await expect(setSecretMetadata(session, { id, maxAge: "a month" })).rejects.toMatchObject({
      code: "INVALID_VALUE",
    });
    expect(parseYaml(await s.read(`secrets/${id}.yaml`))).toMatchObject({ consumers: ["api", "worker"] });
  });

  it("import reports references through onWarning, and reads JSON numbers as written", async () => {
    const session = await s.open();
    const warnings: string[] = [];
    await importSecrets(session, {
      env: "production",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dotenv reference
      text: "HOST=db\nURL=pg://${HOST}/x\n",
      format: "dotenv",
      source: "app.env",
      prefix: "imp",
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toEqual([expect.stringMatching(/^app\.env:2: URL holds a \$VAR/)]);
    await importSecrets(session, {
      env: "production",
      text: '{"N": 1.10}',
      format: "json",
      source: "n.json",
      prefix: "num",
    });
    expect(await getSecret(session, { id: "production/num/n" })).toBe("1.10");
  });
});
