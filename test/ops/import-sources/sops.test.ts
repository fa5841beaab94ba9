/**
 * The sops decoder against files sops itself wrote (shared/fixtures/sops,
 * read in place) and files the tests write from sops' format
 * (test/support/sops-writer.ts, data keys wrapped by the real `age` CLI),
 * tampered ones included.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { ImportMap, ImportNode } from "../../../src/core/import-tree.js";
import { type AgeIdentity, generateKey, parseIdentityFile } from "../../../src/crypto/keys.js";
import { LockstepError } from "../../../src/errors.js";
import { decodeSops } from "../../../src/ops/import-sources/sops.js";
import { type SopsFormat, sopsFormatOf } from "../../../src/ops/import-sources/sops-file.js";
import { codeOf } from "../../support/errors.js";
import { type SopsValue, sopsEncryptText, sopsFixturesDir, writeSopsFile } from "../../support/sops-writer.js";

/** A tree as plain data: scalars as [type, text], for exact comparisons. */
function plain(node: ImportNode): unknown {
  if (node.kind === "scalar") return `${node.type}:${node.text}`;
  if (node.kind === "list") return node.items.map(plain);
  return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.node)]));
}
const keysOf = (tree: ImportMap) => tree.entries.map((e) => e.key);

let fixtureKey: AgeIdentity[];
let mine: { identities: AgeIdentity[]; recipient: string };
let other: { identities: AgeIdentity[]; recipient: string };
const dir = sopsFixturesDir();

beforeAll(async () => {
  fixtureKey = await parseIdentityFile(await readFile(join(dir, "TEST-ONLY-age-key.txt"), "utf8"), "fixture key");
  const make = async () => {
    const k = await generateKey(false);
    return { identities: await parseIdentityFile(k.fileText, "test key"), recipient: k.recipient };
  };
  mine = await make();
  other = await make();
});

describe("files sops wrote", () => {
  test("YAML and JSON decrypt to the plaintext the fixtures' source gives, numbers and booleans as written", async () => {
    const expected = JSON.parse(await readFile(join(dir, "secret.plain.TEST-ONLY.json"), "utf8"));
    for (const [file, format] of [
      ["secret.enc.TEST-ONLY.json", "json"],
      ["secret.enc.TEST-ONLY.yaml", "yaml"],
    ] as const) {
      const text = await readFile(join(dir, file), "utf8");
      const out = await decodeSops(text, { format, source: file, identities: fixtureKey });
      const want = {
        secret: `string:${expected.secret}`,
        string: `string:${expected.string}`,
        int: `number:${expected.int}`,
        float: `number:${expected.float}`,
        boolean: `boolean:${expected.boolean}`,
        ...(format === "json" && { "0word": `string:${expected["0word"]}` }),
        complex: {
          value: `string:${expected.complex.value}`,
          array: expected.complex.array.map((s: string) => `string:${s}`),
        },
      };
      expect(plain(out.tree)).toEqual(want);
      // File order, not JSON.parse's (which puts nothing first here, but sops' MAC depends on it).
      expect(keysOf(out.tree)[0]).toBe("secret");
      expect(out.openedBy).toBe("age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr");
    }
  });

  test("the dotenv file: sops' metadata lines are not values", async () => {
    const text = await readFile(join(dir, "secret.enc.TEST-ONLY.env"), "utf8");
    const out = await decodeSops(text, { format: "dotenv", source: "secret.env", identities: fixtureKey });
    // humphd/sops-age tests/unit/decrypt.test.ts gives this plaintext.
    expect(plain(out.tree)).toEqual({ secret: "string:this is a secret", another_secret: "string:7" });
    expect(out.sopsVersion).toBe("3.8.1");
  });

  test("a key that is not a recipient gets NO_IDENTITY and the file's recipients", async () => {
    const text = await readFile(join(dir, "secret.enc.TEST-ONLY.yaml"), "utf8");
    const err = await decodeSops(text, { format: "yaml", source: "s.yaml", identities: mine.identities }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(LockstepError);
    expect(err.code).toBe("NO_IDENTITY");
    expect(err.fix).toContain("age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd");
  });

  test("one changed character of a real file's value, another value moved, or its MAC time changed: INTEGRITY", async () => {
    const text = await readFile(join(dir, "secret.enc.TEST-ONLY.yaml"), "utf8");
    const opts = { format: "yaml" as const, source: "s.yaml", identities: fixtureKey };
    const data = /secret: ENC\[AES256_GCM,data:(.)/.exec(text) as RegExpExecArray;
    const flipped = text.replace(data[0], data[0].slice(0, -1) + (data[1] === "A" ? "B" : "A"));
    expect(await codeOf(decodeSops(flipped, opts))).toBe("INTEGRITY");
    // `string`'s ciphertext under `secret`: the additional data is the key path.
    const secretValue = (/^secret: (.*)$/m.exec(text) as RegExpExecArray)[1] as string;
    const stringValue = (/^string: (.*)$/m.exec(text) as RegExpExecArray)[1] as string;
    const moved = text.replace(`secret: ${secretValue}`, `secret: ${stringValue}`);
    expect(await codeOf(decodeSops(moved, opts))).toBe("INTEGRITY");
    const retimed = text.replace('lastmodified: "2024-03-25T22:08:10Z"', 'lastmodified: "2024-03-25T22:08:11Z"');
    expect(retimed).not.toBe(text);
    expect(await codeOf(decodeSops(retimed, opts))).toBe("INTEGRITY");
  });

  test("a real file with a value removed fails its MAC", async () => {
    const text = await readFile(join(dir, "secret.enc.TEST-ONLY.json"), "utf8");
    const doc = JSON.parse(text);
    delete doc.string;
    const err = await decodeSops(JSON.stringify(doc), {
      format: "json",
      source: "s.json",
      identities: fixtureKey,
    }).catch((e) => e);
    expect(err.code).toBe("INTEGRITY");
    expect(err.message).toContain("MAC");
  });
});

describe("files written from sops' format", () => {
  const data: { [key: string]: SopsValue } = {
    DB_PASSWORD: "p@ss: w0rd #1",
    port: 5432,
    ratio: 0.25,
    debug: false,
    empty: "",
    nothing: null,
    database: { user: "admin", hosts: ["a.example", "b.example"], nested: { deep: "x" } },
    note_unencrypted: "kept as is",
    multi: "line one\nline two",
  };

  test.each(["yaml", "json"] as const)(
    "%s: every value, nested maps and lists, nulls and unencrypted keys",
    async (format) => {
      const { text } = writeSopsFile(data, { format, recipients: [other.recipient, mine.recipient] });
      const out = await decodeSops(text, { format, source: `f.${format}`, identities: mine.identities });
      expect(plain(out.tree)).toEqual({
        DB_PASSWORD: "string:p@ss: w0rd #1",
        port: "number:5432",
        ratio: "number:0.25",
        debug: "boolean:false",
        empty: "string:",
        nothing: "null:",
        database: {
          user: "string:admin",
          hosts: ["string:a.example", "string:b.example"],
          nested: { deep: "string:x" },
        },
        note_unencrypted: "string:kept as is",
        multi: "string:line one\nline two",
      });
      expect(out.openedBy).toBe(mine.recipient);
      expect(text).toContain("kept as is");
      expect(text).not.toContain("admin");
    },
  );

  test("dotenv: values with newlines, '=' and sops_-free keys", async () => {
    const { text } = writeSopsFile(
      { API_KEY: "k=v=w", MULTI: "a\nb", PLAIN_unencrypted: "clear", BLANK: "" },
      { format: "dotenv", recipients: [mine.recipient] },
    );
    const out = await decodeSops(text, { format: "dotenv", source: ".env", identities: mine.identities });
    expect(plain(out.tree)).toEqual({
      API_KEY: "string:k=v=w",
      MULTI: "string:a\nb",
      PLAIN_unencrypted: "string:clear",
      BLANK: "string:",
    });
  });

  test("INI: DEFAULT keys at the top, sections as maps, go-ini's quoting read back", async () => {
    const { text } = writeSopsFile(
      {
        top: "level",
        database: { user: "admin", password: "a;b#c", spaced: " padded ", lines: "x\ny" },
        cache: { url_unencrypted: "redis://h:6379/0" },
      },
      { format: "ini", recipients: [mine.recipient] },
    );
    expect(text).toContain("[sops]");
    const out = await decodeSops(text, { format: "ini", source: "f.ini", identities: mine.identities });
    expect(plain(out.tree)).toEqual({
      top: "string:level",
      database: {
        user: "string:admin",
        password: "string:a;b#c",
        spaced: "string: padded ",
        lines: "string:x\ny",
      },
      cache: { url_unencrypted: "string:redis://h:6379/0" },
    });
  });

  test("encrypted_regex, unencrypted_regex, encrypted_suffix and mac_only_encrypted follow sops' rules", async () => {
    const value = { password: "s3cret", username: "admin", nested: { password: "inner", host: "h" } };
    const cases = [
      { encryptedRegex: "^pass" },
      { unencryptedRegex: "^(user|host)" },
      { encryptedSuffix: "word" },
      { macOnlyEncrypted: true },
      { encryptedRegex: "^pass", macOnlyEncrypted: true },
      { keyGroups: true },
    ];
    for (const extra of cases) {
      const { text } = writeSopsFile(value, { format: "yaml", recipients: [mine.recipient], ...extra });
      if ("encryptedRegex" in extra || "encryptedSuffix" in extra || "unencryptedRegex" in extra) {
        expect(text).toContain("username: admin");
        expect(text).not.toContain("s3cret");
      }
      const out = await decodeSops(text, { format: "yaml", source: "f.yaml", identities: mine.identities });
      expect(plain(out.tree), JSON.stringify(extra)).toEqual({
        password: "string:s3cret",
        username: "string:admin",
        nested: { password: "string:inner", host: "string:h" },
      });
    }
  });

  test("unencrypted YAML numbers, booleans and dates hash as go-yaml types them, and import as written", async () => {
    // The MAC covers values left in the clear, as go-yaml typed them: `0.50` hashes as Go's 0.5,
    // `5_432` as 5432, `True` as True, a bare date as its RFC 3339 time.
    const written = writeSopsFile(
      {
        a: "x",
        port_unencrypted: 5432,
        ratio_unencrypted: 0.5,
        on_unencrypted: true,
        day_unencrypted: "2024-01-02T00:00:00Z",
        hex_unencrypted: 31,
      },
      { format: "yaml", recipients: [mine.recipient] },
    ).text;
    const respelled = written
      .replace("port_unencrypted: 5432", "port_unencrypted: 5_432")
      .replace("ratio_unencrypted: 0.5", "ratio_unencrypted: 0.50")
      .replace("on_unencrypted: true", "on_unencrypted: True")
      .replace("day_unencrypted: 2024-01-02T00:00:00Z", "day_unencrypted: 2024-1-2")
      .replace("hex_unencrypted: 31", "hex_unencrypted: 0x1F");
    expect(respelled.match(/5_432|0\.50|True|2024-1-2|0x1F/g)).toHaveLength(5);
    const opts = { format: "yaml" as const, source: "f.yaml", identities: mine.identities };
    const out = await decodeSops(respelled, opts);
    expect(plain(out.tree)).toEqual({
      a: "string:x",
      port_unencrypted: "string:5_432",
      ratio_unencrypted: "number:0.50",
      on_unencrypted: "boolean:True",
      day_unencrypted: "string:2024-1-2",
      hex_unencrypted: "number:0x1F",
    });
    const changed = respelled.replace("ratio_unencrypted: 0.50", "ratio_unencrypted: 0.51");
    expect(await codeOf(decodeSops(changed, opts))).toBe("INTEGRITY");
  });

  test("an age entry for someone else is passed over; the recipient that opens it is reported", async () => {
    const { text } = writeSopsFile({ a: "x" }, { format: "json", recipients: [other.recipient, mine.recipient] });
    const out = await decodeSops(text, { format: "json", source: "f.json", identities: mine.identities });
    expect(out.openedBy).toBe(mine.recipient);
    expect(await codeOf(decodeSops(text, { format: "json", source: "f.json", identities: [] }))).toBe("NO_IDENTITY");
  });
});

describe("tampered files are refused with INTEGRITY, and nothing is returned", () => {
  const base = { user: "admin", password: "s3cret", list: ["a", "b"], note_unencrypted: "clear" };
  const opts = () => ({ format: "yaml" as const, source: "f.yaml", identities: mine.identities });

  test.each([
    ["an unencrypted value edited", (t: string) => t.replace("note_unencrypted: clear", "note_unencrypted: changed")],
    ["a key added in the clear (unencrypted suffix)", (t: string) => t.replace("sops:", "extra_unencrypted: x\nsops:")],
    ["two list items swapped", (t: string) => swapLines(t, /^ {2}- ENC/m)],
    ["a value encrypted under another key path", (t: string) => moveValue(t, "password", "user")],
    ["the MAC of another file", (t: string) => t.replace(/mac: ENC\[[^\]]+\]/, `mac: ${otherMac()}`)],
    ["a value replaced by plaintext", (t: string) => t.replace(/^user: ENC\[[^\]]+\]/m, "user: admin")],
    ["the wrapped data key changed", (t: string) => corruptAgePayload(t)],
  ])("%s", async (_name, tamper) => {
    const { text } = writeSopsFile(base, { format: "yaml", recipients: [mine.recipient] });
    await expect(decodeSops(text, opts())).resolves.toBeDefined();
    const changed = tamper(text);
    expect(changed).not.toBe(text);
    const err = await decodeSops(changed, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(LockstepError);
    expect(err.code).toBe("INTEGRITY");
    expect(err.message).not.toContain("s3cret");
    expect(err.message).not.toContain("admin");
  });

  test("a value re-encrypted by someone holding the data key still fails the MAC", async () => {
    const { text, dataKey } = writeSopsFile(base, { format: "yaml", recipients: [mine.recipient] });
    const forged = text.replace(
      /^password: ENC\[[^\]]+\]/m,
      `password: ${sopsEncryptText("other", "str", dataKey, "password:")}`,
    );
    const err = await decodeSops(forged, opts()).catch((e) => e);
    expect(err.code).toBe("INTEGRITY");
    expect(err.message).toContain("MAC");
  });

  test("a value sops left in the clear but that looks encrypted is never taken as a value", async () => {
    const { text, dataKey } = writeSopsFile(
      { a: "x", b_unencrypted: "y" },
      { format: "yaml", recipients: [mine.recipient] },
    );
    const fake = sopsEncryptText("y", "str", dataKey, "b_unencrypted:");
    const err = await decodeSops(text.replace("b_unencrypted: y", `b_unencrypted: ${fake}`), opts()).catch((e) => e);
    expect(err.code).toBe("INVALID_VALUE");
  });
});

describe("files that only look encrypted, or that lockstep cannot open", () => {
  test("ENC values without sops metadata: INTEGRITY; no metadata and no ENC: INVALID_VALUE", async () => {
    const { text } = writeSopsFile({ a: "x" }, { format: "yaml", recipients: [mine.recipient] });
    const stripped = text.slice(0, text.indexOf("sops:"));
    const opts = { format: "yaml" as const, source: "f.yaml", identities: mine.identities };
    expect(await codeOf(decodeSops(stripped, opts))).toBe("INTEGRITY");
    expect(await codeOf(decodeSops("a: x\n", opts))).toBe("INVALID_VALUE");
    const dotenv = writeSopsFile({ A: "x" }, { format: "dotenv", recipients: [mine.recipient] }).text;
    const noMeta = dotenv
      .split("\n")
      .filter((l) => !l.startsWith("sops_"))
      .join("\n");
    expect(await codeOf(decodeSops(noMeta, { ...opts, format: "dotenv" }))).toBe("INTEGRITY");
  });

  test("a file encrypted only to PGP, or split over key groups, says why", async () => {
    const pgp = JSON.parse(writeSopsFile({ a: "x" }, { format: "json", recipients: [mine.recipient] }).text);
    delete pgp.sops.age;
    pgp.sops.pgp = [{ fp: "ABCDEF", created_at: "2025-01-01T00:00:00Z", enc: "x" }];
    const err = await decodeSops(JSON.stringify(pgp), {
      format: "json",
      source: "f.json",
      identities: mine.identities,
    }).catch((e) => e);
    expect(err.code).toBe("NO_IDENTITY");
    expect(err.message).toContain("pgp");
    const groups = writeSopsFile({ a: "x" }, { format: "json", recipients: [mine.recipient], keyGroups: true }).text;
    const doc = JSON.parse(groups);
    doc.sops.key_groups.push(doc.sops.key_groups[0]);
    const e2 = await decodeSops(JSON.stringify(doc), {
      format: "json",
      source: "f.json",
      identities: mine.identities,
    }).catch((e) => e);
    expect(e2.code).toBe("USAGE");
    expect(e2.message).toContain("Shamir");
  });
});

test("sops picks the format from the file name", () => {
  const cases: [string, SopsFormat | undefined][] = [
    ["a.yaml", "yaml"],
    ["a.YML", "yaml"],
    ["x/secrets.json", "json"],
    [".env", "dotenv"],
    ["prod.env", "dotenv"],
    ["a.ini", "ini"],
    ["a.txt", undefined],
  ];
  for (const [name, format] of cases) expect(sopsFormatOf(name), name).toBe(format);
});

function swapLines(text: string, pattern: RegExp): string {
  const lines = text.split("\n");
  const idx = lines.map((l, i) => (pattern.test(`${l}\n`) ? i : -1)).filter((i) => i >= 0);
  const [i, j] = idx as [number, number];
  [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
  return lines.join("\n");
}

function moveValue(text: string, from: string, to: string): string {
  const value = (new RegExp(`^${from}: (.*)$`, "m").exec(text) as RegExpExecArray)[1] as string;
  return text.replace(new RegExp(`^${to}: .*$`, "m"), `${to}: ${value}`);
}

function otherMac(): string {
  const { text } = writeSopsFile({ user: "admin" }, { format: "yaml", recipients: [mine.recipient] });
  return (/mac: (ENC\[[^\]]+\])/.exec(text) as RegExpExecArray)[1] as string;
}

/** Changes a byte of the age payload (the last base64 line before the armor's end). */
function corruptAgePayload(text: string): string {
  return text.replace(
    /\n(\s+)([A-Za-z0-9+/]{8})([A-Za-z0-9+/=]*)\n(\s+)-----END AGE ENCRYPTED FILE-----/,
    (_m, s, head, rest, s2) => {
      const flipped = head.slice(0, 7) + (head[7] === "A" ? "B" : "A");
      return `\n${s}${flipped}${rest}\n${s2}-----END AGE ENCRYPTED FILE-----`;
    },
  );
}
