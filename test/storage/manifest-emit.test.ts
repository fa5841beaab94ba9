/**
 * emitManifest must write exactly what the `yaml` package writes for a new
 * manifest, or step aside (`undefined`): a difference would reformat a
 * repository's manifests between one command and the next.
 */
import fc from "fast-check";
import { CORE_SCHEMA, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import type { SecretManifest } from "../../src/core/model.js";
import { newManifestDocument } from "../../src/storage/manifest-doc.js";
import { emitManifest } from "../../src/storage/manifest-emit.js";
import { stringifyDocument } from "../../src/storage/yaml-file.js";
import { TRICKY_YAML_STRINGS } from "../support/yaml-strings.js";

const tricky = TRICKY_YAML_STRINGS;
const str = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...tricky) },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_./:@ ,()#'"-]{0,14}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
/** Mostly what users write, sometimes anything. */
const text = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ,.()/-]{0,20}[a-z]$/) },
  { weight: 1, arbitrary: str },
);
const name = fc.oneof(
  { weight: 20, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/) },
  { weight: 1, arbitrary: str },
);
const b64line = fc.stringMatching(/^[A-Za-z0-9+/]{64}$/);
const armor = fc
  .tuple(fc.array(b64line, { minLength: 1, maxLength: 6 }), fc.stringMatching(/^[A-Za-z0-9+/]{4,60}={0,2}$/))
  .map(([lines, last]) =>
    ["-----BEGIN AGE ENCRYPTED FILE-----", ...lines, last, "-----END AGE ENCRYPTED FILE-----", ""].join("\n"),
  );
const ciphertext = fc.oneof({ weight: 12, arbitrary: armor }, { weight: 1, arbitrary: str });
const recipient = fc.record({
  member: name,
  key: fc.oneof({ weight: 30, arbitrary: fc.stringMatching(/^age1[a-z0-9]{58}$/) }, { weight: 1, arbitrary: str }),
});
const version = fc.record(
  {
    version: fc.integer({ min: 1, max: 10_000 }),
    created: fc.oneof({ weight: 8, arbitrary: fc.constant("2026-11-28T14:31:19Z") }, { weight: 1, arbitrary: str }),
    recipients: fc.array(recipient, { minLength: 1, maxLength: 8 }),
    ciphertext,
    formerRecipients: fc.array(recipient, { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ["version", "created", "recipients", "ciphertext"] },
);
const manifest: fc.Arbitrary<SecretManifest> = fc.record(
  {
    description: text,
    type: fc.constantFrom("string" as const, "json" as const),
    schema: name,
    env: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/) }, { weight: 1, arbitrary: str }),
    consumers: fc.array(name, { minLength: 1, maxLength: 3 }),
    rotation: fc.record(
      { maxAge: fc.oneof(fc.constant("90d"), text), generate: fc.oneof(fc.constant("password:32"), text) },
      { requiredKeys: [] },
    ),
    stages: fc.dictionary(name, fc.integer({ min: 1, max: 99 }), { minKeys: 1, maxKeys: 3 }),
    versions: fc.array(version, { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ["stages", "versions"] },
);

const viaDocument = (m: SecretManifest) => stringifyDocument(newManifestDocument(m));

describe("emitManifest", () => {
  it("writes what the yaml package writes, or steps aside", () => {
    let fastRuns = 0;
    fc.assert(
      fc.property(manifest, (m) => {
        const fast = emitManifest(m);
        if (fast !== undefined) {
          fastRuns++;
          expect(fast).toBe(viaDocument(m));
        }
      }),
      { numRuns: 1500 },
    );
    // The property only means something if the fast path runs often.
    expect(fastRuns).toBeGreaterThan(150);
  });

  it("takes the fast path for the manifests lockstep writes", () => {
    const ordinary: SecretManifest = {
      description: "Primary database password, rotated by ops",
      type: "string",
      env: "DATABASE_PASSWORD",
      consumers: ["api", "worker"],
      rotation: { maxAge: "90d", generate: "password:32" },
      stages: { canary: 2, stable: 1 },
      versions: [2, 1].map((n) => ({
        version: n,
        created: "2026-11-28T14:31:19Z",
        recipients: [
          { member: "ci-production", key: "age1tjmdhtfhyegf8y4jw2ffwrw7chhpq6406zeczqmv9wyzyelk5qeqk7lfgh" },
          { member: "reader.07", key: "age1f86h64hrh8jy3xtlwev525f7hv6gakzsujc0c6sr2c5q6pyajdhswy49wg" },
        ],
        ciphertext: `-----BEGIN AGE ENCRYPTED FILE-----\n${"YWdl".repeat(16)}\nYWdlLQ==\n-----END AGE ENCRYPTED FILE-----\n`,
        ...(n === 1 && {
          formerRecipients: [{ member: "bob", key: "age1new9g7fnnq34ls34fqjw8tpjaf6zaruku9a35tlun4nry8q46vrqsv0c55" }],
        }),
      })),
    };
    const text = emitManifest(ordinary);
    expect(text).toBe(viaDocument(ordinary));
    expect(load(text ?? "", { schema: CORE_SCHEMA })).toEqual(ordinary);
  });

  it("steps aside for what needs quotes or the Document API", () => {
    const base: SecretManifest = { stages: { stable: 1 }, versions: [] };
    expect(emitManifest(base)).toBeUndefined(); // an empty list
    const v = {
      version: 1,
      created: "2026-11-28T14:31:19Z",
      recipients: [{ member: "a", key: "age1x" }],
      ciphertext: "x\n",
    };
    expect(emitManifest({ ...base, versions: [v], description: "it's" })).toBeUndefined();
    expect(emitManifest({ ...base, versions: [v], description: "two\nlines" })).toBeUndefined();
    expect(emitManifest({ ...base, versions: [{ ...v, ciphertext: "no final newline" }] })).toBeUndefined();
  });

  it("writes a ciphertext block as the yaml package does, or steps aside, at every edge of its lines", () => {
    const v = { version: 1, created: "2026-11-28T14:31:19Z", recipients: [{ member: "a", key: "age1x" }] };
    const blocks = ["x\n", "ab c\n", "x\ny\n", " x\n", "x \n", "x\n y\n", "x \ny\n", "x\n\ny\n", "\nx\n", "x\n\n"];
    for (const ciphertext of [...blocks, "\n", "x\ty\n", "x\u00e9\n", "x\r\ny\n", `${"A".repeat(64)}\n`.repeat(50)]) {
      const m: SecretManifest = { stages: { stable: 1 }, versions: [{ ...v, ciphertext }] };
      const fast = emitManifest(m);
      if (fast !== undefined) expect(fast).toBe(viaDocument(m));
    }
    // The plain blocks take the fast path.
    for (const ciphertext of ["x\n", "ab c\n", "x\ny\n"]) {
      expect(emitManifest({ stages: { stable: 1 }, versions: [{ ...v, ciphertext }] })).toBeDefined();
    }
  });
});
