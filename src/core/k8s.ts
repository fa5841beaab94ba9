/**
 * The `k8s` export: a `v1/Secret` manifest that the API server accepts, or a
 * coded error naming the rule it would break. The rules are Kubernetes' own,
 * from k8s.io/apimachinery and pkg/apis/core/validation (`ValidateSecret`):
 *
 * - `metadata.name`: a DNS-1123 subdomain (`NameIsDNSSubdomain`): at most 253
 *   characters, dot-separated labels of `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
 * - `metadata.namespace`: a DNS-1123 label (`ValidateNamespaceName`): at most
 *   63 characters of `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
 * - label keys (`IsQualifiedName`): an optional DNS-1123 subdomain prefix and
 *   `/`, then a name of at most 63 characters of
 *   `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`; label values
 *   (`IsValidLabelValue`): empty, or at most 63 characters of the same pattern.
 * - data keys (`IsConfigMapKey`): `[-._a-zA-Z0-9]+`, at most 253 characters,
 *   not `.`, `..` or starting with `..`.
 * - the data's values total at most 1 MiB (`MaxSecretSize`, 1048576 bytes,
 *   counted decoded).
 *
 * `data` is base64, so every value travels exactly, bytes included. Every
 * scalar is double-quoted (see yaml-scalars.ts): kubectl and helm read YAML
 * 1.1, where a plain `yes` is a boolean and would fail as a label value.
 */
import { base64 } from "@scure/base";
import { LockstepError, UsageError } from "../errors.js";
import type { ExportEntry } from "./export-entry.js";
import { yamlString, yamlStringMap } from "./yaml-scalars.js";

/** Options of the `k8s` format. */
export interface K8sOptions {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

/** `MaxSecretSize` of k8s.io/kubernetes pkg/apis/core/types.go: the most a Secret's data may total, in bytes. */
export const MAX_SECRET_BYTES = 1024 * 1024;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** Why `s` is not a DNS-1123 subdomain (IsDNS1123Subdomain), or `undefined`. */
export function dns1123SubdomainProblem(s: string): string | undefined {
  if (s.length > 253) return "a DNS-1123 subdomain has at most 253 characters";
  if (!DNS1123_SUBDOMAIN.test(s)) {
    return "a DNS-1123 subdomain is lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. example.com)";
  }
  return undefined;
}

/** Why `s` is not a DNS-1123 label (IsDNS1123Label), or `undefined`. */
export function dns1123LabelProblem(s: string): string | undefined {
  if (s.length > 63) return "a DNS-1123 label has at most 63 characters";
  if (!DNS1123_LABEL.test(s)) {
    return "a DNS-1123 label is lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. my-name)";
  }
  return undefined;
}

/** Why `key` is not a label key (IsQualifiedName), or `undefined`. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "a label key has at most one '/' (e.g. example.com/name)";
  const name = parts.at(-1) as string;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix === "") return "a label key's prefix (before '/') must not be empty";
    const p = dns1123SubdomainProblem(prefix);
    if (p !== undefined) return `a label key's prefix must be a DNS-1123 subdomain: ${p}`;
  }
  if (name === "") return "a label key's name must not be empty";
  if (name.length > 63) return "a label key's name has at most 63 characters";
  if (!QUALIFIED_NAME.test(name)) {
    return "a label key's name is letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not a label value (IsValidLabelValue), or `undefined`. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return "a label value has at most 63 characters";
  if (value !== "" && !QUALIFIED_NAME.test(value)) {
    return "a label value is empty, or letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `key` is not a Secret data key (IsConfigMapKey), or `undefined`. */
export function dataKeyProblem(key: string): string | undefined {
  if (key.length > 253) return "a Secret data key has at most 253 characters";
  if (!CONFIG_MAP_KEY.test(key)) return "a Secret data key is letters, digits, '-', '_' and '.'";
  if (key === "." || key === ".." || key.startsWith(".."))
    return "a Secret data key must not be '.', '..' or start with '..'";
  return undefined;
}

/**
 * The default Secret name for an environment's stage: `ENV-STAGE`,
 * lower-cased, with every character a DNS-1123 subdomain cannot hold as `-`
 * (`EU_Prod` at `stable` gives `eu-prod-stable`).
 * @throws UsageError when even that is no DNS-1123 subdomain (pass `--name`).
 */
export function defaultSecretName(env: string, stage: string): string {
  const name = `${env}-${stage}`.toLowerCase().replace(/[^a-z0-9.-]/g, "-");
  const problem = dns1123SubdomainProblem(name);
  if (problem !== undefined) {
    throw new UsageError(`the default Secret name for ${env} at ${stage}, ${name}, is not valid: ${problem}`, {
      fix: "name the Secret with --name NAME",
    });
  }
  return name;
}

/**
 * Checks `--name`, `--namespace` and `--label`s against Kubernetes' rules
 * (those given: a check before anything is decrypted may not know the name yet).
 * @throws UsageError naming the flag and the rule.
 */
export function checkK8sOptions(o: Partial<K8sOptions>): void {
  const fail = (flag: string, problem: string): never => {
    throw new UsageError(`${flag}: ${problem}`, { fix: "Kubernetes would refuse the Secret; choose a valid one" });
  };
  const name = o.name === undefined ? undefined : dns1123SubdomainProblem(o.name);
  if (name !== undefined) fail(`--name ${o.name}`, name);
  if (o.namespace !== undefined) {
    const ns = dns1123LabelProblem(o.namespace);
    if (ns !== undefined) fail(`--namespace ${o.namespace}`, ns);
  }
  for (const [k, v] of Object.entries(o.labels ?? {})) {
    const key = labelKeyProblem(k);
    if (key !== undefined) fail(`--label ${k}=${v}`, key);
    const value = labelValueProblem(v);
    if (value !== undefined) fail(`--label ${k}=${v}`, value);
  }
}

/**
 * The Secret manifest (YAML) holding `entries` as base64 `data`.
 * @throws UsageError for options Kubernetes refuses (see {@link checkK8sOptions}).
 * @throws LockstepError `INVALID_NAME` for a variable name that is no data key;
 *   `UNREPRESENTABLE_VALUE` when the values total over 1 MiB.
 */
export function renderK8sSecret(entries: readonly ExportEntry[], o: K8sOptions): string {
  checkK8sOptions(o);
  let total = 0;
  for (const e of entries) {
    const problem = dataKeyProblem(e.name);
    if (problem !== undefined) {
      throw new LockstepError("INVALID_NAME", `${e.id} exports as ${e.name}, which Kubernetes refuses: ${problem}`, {
        fix: `set a valid "env:" name in its manifest`,
      });
    }
    total += e.value.length;
  }
  if (total > MAX_SECRET_BYTES) {
    throw new LockstepError(
      "UNREPRESENTABLE_VALUE",
      `the values total ${total} bytes; Kubernetes refuses a Secret whose data exceeds 1 MiB (${MAX_SECRET_BYTES} bytes)`,
      { fix: "export fewer secrets per Secret (--consumer), or use --format files and mount them another way" },
    );
  }
  const labels = Object.entries(o.labels ?? {});
  return [
    "apiVersion: v1\n",
    "kind: Secret\n",
    "metadata:\n",
    `  name: ${yamlString(o.name)}\n`,
    o.namespace !== undefined ? `  namespace: ${yamlString(o.namespace)}\n` : "",
    labels.length > 0 ? yamlStringMap(labels, 4, "  labels:") : "",
    "type: Opaque\n",
    yamlStringMap(
      entries.map((e) => [e.name, base64.encode(e.value)] as const),
      2,
      "data:",
    ),
  ].join("");
}
