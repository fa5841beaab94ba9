/** keygen: an identity written once, mode 0600, or handed back. */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keygen } from "../../src/ops/keygen.js";

describe("keygen", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lockstep-keygen-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("hands the identity back without an output, or for -", async () => {
    for (const options of [{}, { output: "-" }]) {
      const key = await keygen(options);
      expect(key.file).toBeUndefined();
      expect(key.recipient).toMatch(/^age1[0-9a-z]{58}$/);
      expect(key.identity).toMatch(
        new RegExp(`^# created: .*\n# public key: ${key.recipient}\nAGE-SECRET-KEY-1[0-9A-Z]+\n$`),
      );
    }
  });

  it("writes a new file 0600 and never overwrites one", async () => {
    const file = join(dir, "identity.test-only.txt");
    const key = await keygen({ output: file });
    expect(key).toEqual({ recipient: key.recipient, file });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, "utf8")).toContain(`# public key: ${key.recipient}`);
    await expect(keygen({ output: file })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
  });
});
