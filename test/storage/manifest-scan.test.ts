/**
 * scanManifest must read a manifest exactly as js-yaml does, or step aside
 * (`undefined`): a difference would hand export and check other data than
 * every other reader of the same file sees.
 */
import fc from "fast-check";
import { CORE_SCHEMA, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import type { SecretManifest, SecretVersion, VersionRecipient } from "../../src/core/model.js";
import { newManifestDocument } from "../../src/storage/manifest-doc.js";
import { scanManifest } from "../../src/storage/manifest-scan.js";
import { stringifyDocument } from "../../src/storage/yaml-file.js";
import { TRICKY_YAML_STRINGS } from "../support/yaml-strings.js";

const write = (m: SecretManifest) => stringifyDocument(newManifestDocument(m));

/**
 * Asserts that the scanner agrees with js-yaml, key order included, or steps
 * aside, and always steps aside when js-yaml throws. Returns what it scanned.
 */
function expectAgreement(text: string): unknown {
  const scanned = scanManifest(text);
  let expected: unknown;
  try {
    expected = load(text, { schema: CORE_SCHEMA, json: false });
  } catch {
    expect(scanned).toBeUndefined();
    return scanned;
  }
  if (scanned !== undefined) {
    expect(scanned).toStrictEqual(expected);
    expect(JSON.stringify(scanned)).toBe(JSON.stringify(expected));
  }
  return scanned;
}

// --- what lockstep writes day to day ---

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const ageKey = fc.string({ unit: fc.constantFrom(...BECH32), minLength: 58, maxLength: 58 }).map((s) => `age1${s}`);
/** The shape of a real armored age file: base64 in 64-column lines. */
const armorOf = (maxBytes: number) =>
  fc.uint8Array({ minLength: 1, maxLength: maxBytes }).map((bytes) => {
    const lines =
      Buffer.from(bytes)
        .toString("base64")
        .match(/.{1,64}/g) ?? [];
    return `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join("\n")}\n-----END AGE ENCRYPTED FILE-----\n`;
  });
const created = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z"));
const keywords = new Set(["null", "true", "false"]);
const ordinaryName = fc.oneof(
  fc
    .tuple(fc.constantFrom("ci", "alice", "bob", "reader", "deploy", "ops-team", "svc_api"), fc.nat(99))
    .map(([w, n]) => `${w}${String(n).padStart(2, "0")}`),
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/).filter((s) => !keywords.has(s)),
);
const ordinaryLine = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ,.()/'"-]{0,60}[A-Za-z0-9.)]$/);
/** Multi-line text that the writer puts in a `|` or `|-` block. */
const ordinaryBlock = fc
  .tuple(ordinaryLine, fc.array(fc.oneof(ordinaryLine, fc.constant("")), { maxLength: 4 }), ordinaryLine, fc.boolean())
  .map(([first, middle, last, newline]) => [first, ...middle, last].join("\n") + (newline ? "\n" : ""));
const ordinaryText = fc.oneof(ordinaryLine, ordinaryBlock);

interface Strings {
  text: fc.Arbitrary<string>;
  name: fc.Arbitrary<string>;
  key: fc.Arbitrary<string>;
  created: fc.Arbitrary<string>;
  ciphertext: fc.Arbitrary<string>;
  maxRecipients: number;
}

function manifestOf(s: Strings): fc.Arbitrary<SecretManifest> {
  const recipient: fc.Arbitrary<VersionRecipient> = fc.record({ member: s.name, key: s.key });
  const version: fc.Arbitrary<SecretVersion> = fc.record(
    {
      version: fc.integer({ min: 1, max: 100_000 }),
      created: s.created,
      recipients: fc.array(recipient, { minLength: 1, maxLength: s.maxRecipients }),
      ciphertext: s.ciphertext,
      formerRecipients: fc.array(recipient, { maxLength: 3 }),
    },
    { requiredKeys: ["version", "created", "recipients", "ciphertext"] },
  );
  return fc.record(
    {
      description: s.text,
      type: fc.constantFrom("string" as const, "json" as const),
      schema: s.name,
      env: s.name.map((n) => n.toUpperCase().replaceAll("-", "_")),
      consumers: fc.array(s.name, { maxLength: 4 }),
      rotation: fc.record(
        { maxAge: fc.oneof(fc.constantFrom("90d", "12h", "1y"), s.text), generate: fc.oneof(s.text, s.name) },
        { requiredKeys: [] },
      ),
      stages: fc.dictionary(s.name, fc.integer({ min: 1, max: 100_000 }), { maxKeys: 4, noNullPrototype: true }),
      versions: fc.array(version, { minLength: 1, maxLength: 5 }),
    },
    { requiredKeys: ["stages", "versions"] },
  );
}

const ordinary = (maxRecipients: number, maxArmorBytes: number) =>
  manifestOf({
    text: ordinaryText,
    name: ordinaryName,
    key: ageKey,
    created,
    ciphertext: armorOf(maxArmorBytes),
    maxRecipients,
  });

// --- strings that YAML reads in surprising ways ---

const trickyAtoms = TRICKY_YAML_STRINGS;
const trickyAtom = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...trickyAtoms) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_./:@ ,()#'"|>&*!%{}[\]-]{0,12}$/) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 4 }) },
);
const tricky = fc.oneof(
  { weight: 3, arbitrary: trickyAtom },
  { weight: 1, arbitrary: fc.array(trickyAtom, { minLength: 2, maxLength: 4 }).map((a) => a.join("\n")) },
  { weight: 1, arbitrary: ordinaryText },
);

describe("scanManifest", () => {
  it("agrees with js-yaml on anything the writer produces, or steps aside", () => {
    const manifests = manifestOf({
      text: tricky,
      name: fc.oneof(ordinaryName, tricky),
      key: fc.oneof({ weight: 4, arbitrary: ageKey }, { weight: 1, arbitrary: tricky }),
      created: fc.oneof({ weight: 4, arbitrary: created }, { weight: 1, arbitrary: tricky }),
      ciphertext: fc.oneof({ weight: 4, arbitrary: armorOf(600) }, { weight: 1, arbitrary: tricky }),
      maxRecipients: 25,
    });
    fc.assert(
      fc.property(manifests, (m) => {
        expectAgreement(write(m));
      }),
      { numRuns: 500 },
    );
  });

  it("takes the fast path for ordinary manifests", () => {
    fc.assert(
      fc.property(ordinary(25, 600), (m) => {
        const text = write(m);
        const scanned = expectAgreement(text);
        expect(scanned).toBeDefined();
        // It is also the manifest the writer was given.
        expect(scanned).toStrictEqual(JSON.parse(JSON.stringify(m)));
      }),
      { numRuns: 300 },
    );
    const recipient = (member: string, key: string) => ({ member, key: `age1${key.repeat(58)}` });
    const ciphertext = `-----BEGIN AGE ENCRYPTED FILE-----\n${"YWdl".repeat(16)}\nYWdlLQ==\n-----END AGE ENCRYPTED FILE-----\n`;
    const full: SecretManifest = {
      description: "Primary database password.\nRotated by ops, see the runbook.\n",
      type: "string",
      schema: "postgres-url",
      env: "DATABASE_PASSWORD",
      consumers: ["api", "worker"],
      rotation: { maxAge: "90d", generate: "password:32" },
      stages: { canary: 2, stable: 1 },
      versions: [
        { version: 2, created: "2026-11-28T14:31:19Z", recipients: [recipient("ci", "q")], ciphertext },
        {
          version: 1,
          created: "2026-01-02T03:04:05.123+01:00",
          recipients: [recipient("reader07", "p"), recipient("ops-team", "z")],
          ciphertext,
          formerRecipients: [recipient("bob", "x")],
        },
      ],
    };
    expect(expectAgreement(write(full))).toStrictEqual(full);
  });

  it("agrees with js-yaml on damaged manifests, or steps aside", () => {
    const edit = fc.record({
      at: fc.nat(),
      op: fc.constantFrom("insert", "delete", "replace"),
      ch: fc.constantFrom(
        ...Array.from(" \t:#-|>'\"{}[,\n&*!?\r\\x0"),
        // Whole tokens reach the structure a single character rarely does.
        ...["  ", ": ", "- ", "\n  ", "\n- ", "\n  - ", " #", "|-", "~", "1", ".5", "true", "\\x41", "\ud800"],
      ),
    });
    let scanned = 0;
    fc.assert(
      fc.property(ordinary(3, 90), fc.array(edit, { minLength: 1, maxLength: 4 }), (m, edits) => {
        let text = write(m);
        for (const { at, op, ch } of edits) {
          const i = at % (text.length + 1);
          const cut = op === "insert" ? 0 : 1;
          text = text.slice(0, i) + (op === "delete" ? "" : ch) + text.slice(i + cut);
        }
        if (expectAgreement(text) !== undefined) scanned++;
      }),
      { numRuns: 2000 },
    );
    // Damage often leaves valid YAML: the scanner must read some of it, or the
    // property above only shows that it gives up.
    expect(scanned).toBeGreaterThan(200);
  });

  describe("by hand", () => {
    const version = [
      "versions:",
      "  - version: 1",
      "    created: 2026-11-28T14:31:19Z",
      "    recipients:",
      "      - { member: ci, key: age1abc }",
      "    ciphertext: |",
      "      -----BEGIN AGE ENCRYPTED FILE-----",
      "      YWdl",
      "      -----END AGE ENCRYPTED FILE-----",
      "",
    ].join("\n");

    it("reads full-line comments and blank lines", () => {
      // js-yaml ignores what a comment holds, control characters included.
      const text = `# managed by lockstep\n\nstages:\n  # the first stage \u0001\n  canary: 1\n# between\n\n  stable: 1\n   # odd indent\n${version}`;
      const scanned = expectAgreement(text);
      expect(scanned).toMatchObject({ stages: { canary: 1, stable: 1 } });
    });

    it("reads a hand-edited quoted string exactly", () => {
      for (const [line, value] of [
        ['description: "caf\\u00e9 \\"bar\\" \\\\ \\/ \\t"', 'café "bar" \\ / \t'],
        ["description: 'it''s # not a comment'", "it's # not a comment"],
        ['description: ""', ""],
        ["description: café ünïcödé 日本 😀", "café ünïcödé 日本 😀"],
      ] as const) {
        expect(expectAgreement(`${line}\n${version}`)).toMatchObject({ description: value });
      }
    });

    it("reads literal blocks with the chomping js-yaml applies", () => {
      for (const [block, value] of [
        ["|-\n  one\n\n  two\n\n\n", "one\n\ntwo"],
        ["|\n  one\n    two\n\n", "one\n  two\n"],
        ["|\n  one\n     \n  two", "one\n   \ntwo\n"],
        ["|-\n  one\n     \n", "one\n   "], // more spaces than the indentation: content
      ] as const) {
        expect(expectAgreement(`description: ${block}\n${version}`)).toMatchObject({ description: value });
        expect(expectAgreement(`${version}description: ${block}`)).toMatchObject({ description: value });
      }
    });

    it("reads a top-level sequence, numeric keys and empty collections", () => {
      expect(expectAgreement("- a\n- b: 1\n  c:\n- {}\n- []\n")).toStrictEqual(["a", { b: 1, c: null }, {}, []]);
      expect(expectAgreement("stages:\n  1: 1\n  '2': 2\n")).toBeUndefined(); // quoted keys are left to js-yaml
      expect(expectAgreement("stages:\n  1: 1\n  2: 2\n")).toStrictEqual({ stages: { "1": 1, "2": 2 } });
      // js-yaml reads the key as a number, then names the property after it.
      expect(expectAgreement("stages:\n  12345678901234567890123: 1\n")).toStrictEqual({
        stages: { "1.2345678901234568e+22": 1 },
      });
    });

    it("steps aside for what it does not follow", () => {
      for (const text of [
        "",
        "# only a comment\n",
        "a: 1\r\nb: 2\r\n",
        "a: 1\nb: 2\na: 3\n", // duplicate key: js-yaml throws
        "a: { x: 1, x: 2 }\n",
        "a: { x: b, y: c, x: d }\n",
        "a: { x: b, y: c }\n  z: 1\n",
        "a: |\n  x\u0001\n", // js-yaml throws on control characters in scalars
        "a: x\u0085\u0001\n",
        "a: \ud800\n",
        "a:\tb\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "? a\n: 1\n",
        "a: [1, 2]\n",
        "a: >\n  folded\n",
        "a: |+\n  kept\n\n",
        "a: |2\n    indented\n",
        "a: |\n\n  leading blank\n",
        "a: plain\n  continued\n",
        "a: 1 # trailing comment\n",
        "a: 1 \n",
        "a: 'it's'\n", // js-yaml throws
        "a: 'open\n",
        "a: '\n",
        'a: "\\x41"\n',
        'a: "two\n  lines"\n',
        "a: 0x1F\n",
        "a: 007\n",
        "a: 1e3\n",
        `a: 1${"0".repeat(400)}\n`, // too big for an int: js-yaml reads a string
        "a: .inf\n",
        "a: ~\n",
        "a: true\n",
        "__proto__: 1\n",
        "a:\n- b\n",
        "a:\n  - # note: x\n  - b\n", // js-yaml reads a null item
        "a:\n    b: 1\n",
        "- - a\n",
        "scalar\n",
        "  a: 1\n",
        "\ufeffa: 1\n",
        "a: \u0001\n",
      ]) {
        expect(expectAgreement(text), JSON.stringify(text)).toBeUndefined();
      }
      // Past js-yaml's maxDepth (100) it throws.
      const deep = Array.from({ length: 120 }, (_, i) => `${"  ".repeat(i)}a:`).join("\n");
      expect(expectAgreement(`${deep} 1\n`)).toBeUndefined();
    });
  });
});
