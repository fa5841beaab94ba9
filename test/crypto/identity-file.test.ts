/**
 * Identity files as people keep them: encrypted with a passphrase by
 * `age -p` (made here by the age CLI in a terminal), with the passphrase
 * asked for, and refused with a coded error when nobody can be asked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Encrypter } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgeRecipient,
  decryptArmored,
  encryptArmored,
  generateKey,
  NO_PROMPTS,
  parseIdentityFile,
} from "../../src/crypto/index.js";
import { answering, have, rejection } from "../support/keys.js";
import { haveScript, runInTerminal } from "../support/terminal.js";

const HAVE = have("age", ["--version"]) && haveScript();
if (!HAVE) console.warn("identity-file.test.ts: `age -p` cases SKIPPED (needs `age` and util-linux `script`)");

const place = { file: "secrets/test/id.yaml", what: "test/id version 1" };
const plaintext = new TextEncoder().encode("behind a passphrase\n");

describe("passphrase-protected identity files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lockstep-idfile-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!HAVE)("opens an identity file that `age -p` encrypted, asking its passphrase once", async () => {
    const key = await generateKey(false);
    const plain = join(dir, "key.txt");
    const encrypted = join(dir, "key.txt.age");
    writeFileSync(plain, key.fileText, { mode: 0o600 });
    const r = await runInTerminal(
      "age",
      ["-p", "-o", encrypted, plain],
      [
        [/Enter passphrase/, "correct horse battery"],
        [/Confirm passphrase/, "correct horse battery"],
      ],
    );
    expect(r.code, r.screen).toBe(0);
    const bytes = readFileSync(encrypted);
    expect(bytes.toString("latin1", 0, 21)).toBe("age-encryption.org/v1"); // binary, as age writes it
    const prompts = answering("correct horse battery");
    const ids = await parseIdentityFile(bytes, encrypted, { prompts });
    expect(prompts.asked).toEqual([`Enter passphrase for identity file "${encrypted}":`]);
    expect(ids.map((i) => i.recipient)).toEqual([key.recipient]);
    const armored = await encryptArmored(plaintext, [AgeRecipient.parse(key.recipient)]);
    expect(await decryptArmored(armored, ids, [key.recipient], place)).toEqual(plaintext);
  });

  it("reads an armored one too, and refuses with PASSPHRASE_REQUIRED when nobody can be asked, NO_IDENTITY after three wrong passphrases", async () => {
    const key = await generateKey(false);
    const e = new Encrypter();
    e.setPassphrase("hunter2 hunter2");
    e.setScryptWorkFactor(12);
    const { armor } = await import("age-encryption");
    const armoredFile = armor.encode(await e.encrypt(key.fileText));
    const ids = await parseIdentityFile(armoredFile, "key.age", { prompts: answering("hunter2 hunter2") });
    expect(ids.map((i) => i.recipient)).toEqual([key.recipient]);

    const none = await rejection(parseIdentityFile(armoredFile, "key.age", { prompts: NO_PROMPTS }));
    expect(none.code).toBe("PASSPHRASE_REQUIRED");
    expect(none.message).toContain("key.age");
    expect(none.message).toMatch(/without a terminal/);
    const wrong = answering("not it");
    const refused = await rejection(parseIdentityFile(armoredFile, "key.age", { prompts: wrong }));
    expect(refused.code).toBe("NO_IDENTITY");
    expect(wrong.asked.length).toBe(3);
  });

  it("refuses an age file that is not passphrase-encrypted as an identity file", async () => {
    const key = await generateKey(false);
    const other = await encryptArmored(new TextEncoder().encode(key.fileText), [AgeRecipient.parse(key.recipient)]);
    const e = await rejection(parseIdentityFile(other, "not-passphrase.age", { prompts: answering("x") }));
    expect(e.code).toBe("INVALID_KEY");
  });
});
