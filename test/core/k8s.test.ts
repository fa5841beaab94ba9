/**
 * The k8s export against Kubernetes itself, offline: the API server's own
 * validation code (k8s.io/apimachinery and k8s.io/api, built from Debian's
 * Go packages by test/support/readers.ts) judges names and whole Secret
 * manifests, and kubectl reads the manifest as it would send it.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { ExportEntry } from "../../src/core/export-entry.js";
import {
  checkK8sOptions,
  dataKeyProblem,
  defaultSecretName,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  type K8sOptions,
  labelKeyProblem,
  labelValueProblem,
  MAX_SECRET_BYTES,
  renderK8sSecret,
} from "../../src/core/k8s.js";
import type { LockstepError } from "../../src/errors.js";
import {
  buildK8sValidate,
  k8sNameErrors,
  k8sValidateSecrets,
  kubectlAcceptsDataKey,
  kubectlAcceptsLabel,
  kubectlRead,
  yaml11Document,
} from "../support/readers.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lockstep-k8s-"));
  await buildK8sValidate(); // the first build compiles Kubernetes' packages
}, 600_000);

const LONG = (n: number) => "a".repeat(n);

type Kind = "subdomain" | "label" | "labelkey" | "labelvalue" | "datakey";
const OURS: Record<Kind, (s: string) => string | undefined> = {
  subdomain: dns1123SubdomainProblem,
  label: dns1123LabelProblem,
  labelkey: labelKeyProblem,
  labelvalue: labelValueProblem,
  datakey: dataKeyProblem,
};

/** Each candidate: whether our rule and Kubernetes' agree that it is valid. */
async function disagreements(kind: Kind, candidates: readonly string[]): Promise<string[]> {
  const verdicts = await k8sNameErrors(candidates.map((c) => `${kind}:${c}`));
  return candidates.filter((c, i) => (OURS[kind](c) === undefined) !== (verdicts[i]?.length === 0));
}

const HAND_PICKED = [
  "eu-prod-stable",
  "EU_Prod-stable",
  "a",
  "0",
  "a.b",
  "a-b.c-d.e",
  "-a",
  "a-",
  "a..b",
  ".a",
  "a.",
  "a.-b",
  "a_b",
  "A9",
  "ü",
  "a b",
  "a:b",
  "a/b",
  "a/b/c",
  "/a",
  "a/",
  "app.kubernetes.io/name",
  "Bad_Prefix/name",
  "..",
  ".",
  "..x",
  "x..",
  "",
  "yes",
  "012",
  LONG(63),
  LONG(64),
  LONG(253),
  LONG(254),
  `${LONG(63)}.${LONG(63)}`,
  `${LONG(253)}/${LONG(63)}`,
  `${LONG(254)}/x`,
  `x/${LONG(64)}`,
];

/** Short strings over the characters that matter to the rules. */
const candidate = fc
  .array(fc.constantFrom("a", "Z", "0", "-", "_", ".", "/", " ", ":", "ü", "a".repeat(60)), { maxLength: 8 })
  .map((a) => a.join(""));

describe("names follow Kubernetes' rules, as its own validation code judges them", () => {
  for (const kind of Object.keys(OURS) as Kind[]) {
    it(`${kind}: hand-picked and generated candidates`, async () => {
      expect(await disagreements(kind, HAND_PICKED)).toEqual([]);
      expect(await disagreements(kind, fc.sample(candidate, { numRuns: 400, seed: 15 }))).toEqual([]);
    });
  }

  it("kubectl, offline, agrees on label values and Secret data keys", async () => {
    const manifest = join(dir, "probe.yaml");
    await writeFile(manifest, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: probe\n");
    for (const v of ["yes", "", "v1.2_3-x", "a b", "-a", LONG(64)]) {
      expect(await kubectlAcceptsLabel(manifest, "k", v)).toBe(labelValueProblem(v) === undefined);
    }
    for (const k of ["DB_PASSWORD", "a.b-c_d", "a b", "..x", "ü"]) {
      expect(await kubectlAcceptsDataKey(k)).toBe(dataKeyProblem(k) === undefined);
    }
  });

  it("--name, --namespace and --label are refused with the rule, as usage errors", () => {
    const refused: K8sOptions[] = [
      { name: "EU_Prod-stable" },
      { name: "ok", namespace: "Prod" },
      { name: "ok", labels: { "a b": "x" } },
      { name: "ok", labels: { app: "x y" } },
    ];
    for (const o of refused) {
      try {
        checkK8sOptions(o);
        expect.unreachable();
      } catch (e) {
        expect((e as LockstepError).code).toBe("USAGE");
        expect((e as LockstepError).message).toMatch(/^--(name|namespace|label) /);
      }
    }
  });

  it("the default name of environment EU_Prod at stage stable is eu-prod-stable", async () => {
    const name = defaultSecretName("EU_Prod", "stable");
    expect(name).toBe("eu-prod-stable");
    expect(await k8sNameErrors([`subdomain:${name}`])).toEqual([[]]);
    try {
      defaultSecretName("prod", "-");
      expect.unreachable();
    } catch (e) {
      expect((e as LockstepError).code).toBe("USAGE");
      expect((e as LockstepError).fix).toContain("--name");
    }
  });
});

const BINARY = Uint8Array.of(0x00, 0x01, 0xff, 0xfe, 0x80, 0x61, 0x62, 0x63);
const text = (s: string) => new TextEncoder().encode(s);
const entry = (name: string, value: Uint8Array): ExportEntry => ({
  name,
  id: `production/${name.toLowerCase()}`,
  value,
});

describe("the Secret manifest", () => {
  const entries = [
    entry("KEYSTORE", BINARY),
    entry("NO", text("no")),
    entry("TIME", text("12:30:00")),
    entry("MULTI", text("line1\r\nline2\n")),
    entry("EMPTY", text("")),
  ];
  const options = {
    name: "eu-prod-stable",
    namespace: "prod",
    labels: { enabled: "yes", "app.kubernetes.io/version": "012", flag: "on", none: "null", empty: "" },
  };
  const decoded = (data: Record<string, string> | null) =>
    Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, "base64"))]));

  it("Kubernetes' validation accepts it and decodes the exact bytes; so does kubectl", async () => {
    const file = join(dir, "secret.yaml");
    await writeFile(file, renderK8sSecret(entries, options));
    const [verdict] = await k8sValidateSecrets([file]);
    expect(verdict?.errors).toEqual([]);
    expect(verdict).toMatchObject({ name: options.name, namespace: options.namespace, labels: options.labels });
    const expected = Object.fromEntries(entries.map((e) => [e.name, e.value]));
    expect(decoded(verdict?.data ?? null)).toEqual(expected);
    const read = await kubectlRead(file);
    if ("error" in read) throw new Error(read.error);
    const o = read.object as { metadata: Record<string, unknown>; data: Record<string, string>; type: string };
    expect(o.metadata).toEqual({ name: options.name, namespace: options.namespace, labels: options.labels });
    expect(o.type).toBe("Opaque");
    expect(decoded(o.data)).toEqual(expected);
  });

  it("Kubernetes refuses what lockstep refuses: a hand-written manifest with a bad name fails its validation", async () => {
    const file = join(dir, "bad.yaml");
    const good = renderK8sSecret([entry("A", text("x"))], { name: "x" });
    await writeFile(file, good.replace('name: "x"', 'name: "EU_Prod-stable"'));
    const [verdict] = await k8sValidateSecrets([file]);
    expect(verdict?.errors.join("\n")).toMatch(/metadata.name.*DNS-1123 subdomain/);
    expect(() => renderK8sSecret([entry("A", text("x"))], { name: "EU_Prod-stable" })).toThrow(/DNS-1123 subdomain/);
  });

  it("YAML 1.1 readers (PyYAML, sigs.k8s.io/yaml) read every scalar as the string written", async () => {
    const file = join(dir, "secret-yaml11.yaml");
    const rendered = renderK8sSecret(entries, options);
    await writeFile(file, rendered);
    const expected = parseYaml(rendered) as { metadata: { labels: unknown } };
    expect(expected.metadata.labels).toEqual(options.labels);
    expect(await yaml11Document("pyyaml", file)).toEqual(expected);
    expect(await yaml11Document("sigs.k8s.io/yaml", file)).toEqual(expected);
  });

  it("an empty Secret is valid, with no data", async () => {
    const file = join(dir, "empty.yaml");
    await writeFile(file, renderK8sSecret([], { name: "x" }));
    const [verdict] = await k8sValidateSecrets([file]);
    expect(verdict?.errors).toEqual([]);
    expect(verdict?.data ?? {}).toEqual({});
  });

  it("holds up to 1 MiB of values, as Kubernetes does, and refuses one byte more with a code", async () => {
    const half = new Uint8Array(MAX_SECRET_BYTES / 2);
    const full = join(dir, "full.yaml");
    await writeFile(full, renderK8sSecret([entry("A", half), entry("B", half)], { name: "x" }));
    const over = [entry("A", half), entry("B", new Uint8Array(MAX_SECRET_BYTES / 2 + 1))];
    try {
      renderK8sSecret(over, { name: "x" });
      expect.unreachable();
    } catch (e) {
      expect((e as LockstepError).code).toBe("UNREPRESENTABLE_VALUE");
      expect((e as LockstepError).message).toContain("1048576");
    }
    // Kubernetes' verdict on both sizes, the larger written by hand from the valid one.
    const overFile = join(dir, "over.yaml");
    const b = Buffer.alloc(MAX_SECRET_BYTES / 2 + 1).toString("base64");
    await writeFile(
      overFile,
      `${(await import("node:fs")).readFileSync(full, "utf8").replace(/"B": ".*"/, `"B": "${b}"`)}`,
    );
    const [ok, tooBig] = await k8sValidateSecrets([full, overFile]);
    expect(ok?.errors).toEqual([]);
    expect(tooBig?.errors.join("\n")).toMatch(/data: Too long/);
  });
});
