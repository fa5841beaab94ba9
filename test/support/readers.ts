/**
 * Test support: the parsers apps really use, each reading files the way an
 * app calls it, so that a test can hold lockstep's output to them. .ci/run
 * installs what they need (npm devDependencies; Debian packages).
 *
 * - dotenv: npm `dotenv` (`parse`), `@dotenvx/dotenvx` (`parse`), python-dotenv
 *   (`dotenv_values`), Debian's docker-compose (`env_file`), godotenv (`Read`);
 * - shell: `. file` in bash and in dash, then the environment a child sees;
 * - YAML: the `yaml` package (1.2, and its 1.1 mode), js-yaml, PyYAML
 *   (`safe_load`), and sigs.k8s.io/yaml (kubectl's and helm's YAMLToJSON);
 * - Kubernetes: `kubectl label --local` (reads a manifest offline).
 */
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import dotenvx from "@dotenvx/dotenvx";
import dotenv from "dotenv";
import jsYaml from "js-yaml";
import { parse as parseYaml } from "yaml";

const run = promisify(execFile);
const HERE = join(dirname(fileURLToPath(import.meta.url)), "readers");

/** Debian's Python, which has python3-dotenv, docker-compose and python3-yaml (a pyenv `python3` may not). */
export const DEBIAN_PYTHON = "/usr/bin/python3";

/** What a reader got from one file: variable name -> value bytes, or its error. */
export type ReadResult = { values: Record<string, Uint8Array> } | { error: string };

/** A reader of files, by name. */
export interface FileReader {
  name: string;
  read(files: readonly string[]): Promise<ReadResult[]>;
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

/** A reader that runs in this process. */
function inProcess(name: string, parse: (text: string) => Record<string, unknown>): FileReader {
  return {
    name,
    async read(files) {
      const { readFile } = await import("node:fs/promises");
      return Promise.all(
        files.map(async (f): Promise<ReadResult> => {
          try {
            const parsed = parse(await readFile(f, "utf8"));
            const values: Record<string, Uint8Array> = {};
            for (const [k, v] of Object.entries(parsed ?? {})) {
              if (typeof v !== "string") return { error: `${k} read as ${typeof v}: ${String(v)}` };
              values[k] = utf8(v);
            }
            return { values };
          } catch (e) {
            return { error: (e as Error).message };
          }
        }),
      );
    },
  };
}

/** A clean environment for reader processes: nothing a reader could expand a reference from. */
function readerEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), LANG: "C.UTF-8" };
}

type Encoded =
  | { values: Record<string, { b64: string } | { type: string; repr: string } | string> }
  | { error: string };

function decodeResults(stdout: string): ReadResult[] {
  return (JSON.parse(stdout) as Encoded[]).map((r): ReadResult => {
    if ("error" in r) return r;
    const values: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(r.values)) {
      if (typeof v === "string") values[k] = new Uint8Array(Buffer.from(v, "base64"));
      else if ("b64" in v) values[k] = new Uint8Array(Buffer.from(v.b64, "base64"));
      else return { error: `${k} read as ${v.type}: ${v.repr}` };
    }
    return { values };
  });
}

function python(mode: string, name: string): FileReader {
  return {
    name,
    async read(files) {
      const { stdout } = await run(DEBIAN_PYTHON, [join(HERE, "readers.py"), mode, ...files], {
        env: readerEnv(),
        maxBuffer: 1 << 28,
      });
      return decodeResults(stdout);
    },
  };
}

let goBinary: Promise<string> | undefined;

/**
 * Builds test/support/readers/readers.go once per test run, in GOPATH mode
 * against Debian's Go packages (no network).
 */
export function buildGoReaders(): Promise<string> {
  goBinary ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "lockstep-go-readers-"));
    const out = join(dir, "readers");
    await run("go", ["build", "-o", out, join(HERE, "readers.go")], {
      env: {
        ...readerEnv(),
        GO111MODULE: "off",
        GOPATH: "/usr/share/gocode",
        GOPROXY: "off",
        GOFLAGS: "",
        GOCACHE: join(tmpdir(), "lockstep-go-cache"),
      },
    });
    return out;
  })();
  return goBinary;
}

let k8sValidateBinary: Promise<string> | undefined;

/**
 * Builds test/support/readers/k8svalidate once per test run: Kubernetes'
 * own validation code, as Debian's golang-github-openshift-api-dev vendors
 * k8s.io/apimachinery and k8s.io/api. GOPATH mode sees a vendor folder
 * only inside the tree that holds it, so the program is copied into a
 * throwaway GOPATH whose `vendor` links to that one. The first build
 * compiles those packages (a minute or two); later ones reuse Go's cache.
 */
export function buildK8sValidate(): Promise<string> {
  k8sValidateBinary ??= (async () => {
    const { cp, mkdir, symlink } = await import("node:fs/promises");
    // One fixed GOPATH: Go's build cache is keyed by source paths, so a new folder each run would rebuild it all.
    const gopath = join(tmpdir(), "lockstep-k8svalidate-gopath");
    const pkg = join(gopath, "src", "lockstep", "k8svalidate");
    await mkdir(pkg, { recursive: true });
    await cp(join(HERE, "k8svalidate", "main.go"), join(pkg, "main.go"));
    await symlink(
      "/usr/share/gocode/src/github.com/openshift/api/vendor",
      join(gopath, "src", "lockstep", "vendor"),
    ).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
    const out = join(await mkdtemp(join(tmpdir(), "lockstep-k8svalidate-")), "k8svalidate");
    await run("go", ["build", "-o", out, "."], {
      cwd: pkg,
      env: {
        ...readerEnv(),
        GO111MODULE: "off",
        GOPATH: `${gopath}:/usr/share/gocode`,
        GOPROXY: "off",
        GOFLAGS: "",
        GOCACHE: join(tmpdir(), "lockstep-go-cache"),
      },
    });
    return out;
  })();
  return k8sValidateBinary;
}

/** Kubernetes' verdict on names: for each `KIND:VALUE`, its errors (none when valid). See k8svalidate/main.go. */
export async function k8sNameErrors(args: readonly string[]): Promise<string[][]> {
  const { stdout } = await run(await buildK8sValidate(), ["names", ...args], { env: readerEnv(), maxBuffer: 1 << 26 });
  return JSON.parse(stdout) as string[][];
}

/** A Secret manifest as Kubernetes' `ValidateSecret` sees it: its errors, and what it decoded. */
export interface K8sSecretVerdict {
  errors: string[];
  name: string;
  namespace: string;
  labels: Record<string, string> | null;
  /** base64, as Go encodes []byte. */
  data: Record<string, string> | null;
}

/** Decodes and validates Secret manifests as the API server would (see k8svalidate/main.go). */
export async function k8sValidateSecrets(files: readonly string[]): Promise<K8sSecretVerdict[]> {
  const { stdout } = await run(await buildK8sValidate(), ["secret", ...files], {
    env: readerEnv(),
    maxBuffer: 1 << 28,
  });
  return JSON.parse(stdout) as K8sSecretVerdict[];
}

function go(mode: "godotenv"): FileReader {
  return {
    name: mode,
    async read(files) {
      const { stdout } = await run(await buildGoReaders(), [mode, ...files], { env: readerEnv(), maxBuffer: 1 << 28 });
      return decodeResults(stdout);
    },
  };
}

/** The dotenv readers of the issue, each with its default settings. */
export const DOTENV_READERS: readonly FileReader[] = [
  inProcess("npm dotenv", (t) => dotenv.parse(t)),
  // processEnv {}: a reference expands against the file alone, as in a fresh process.
  inProcess("dotenvx", (t) => dotenvx.parse(t, { processEnv: {} })),
  python("python-dotenv", "python-dotenv"),
  python("compose", "docker-compose env_file"),
  go("godotenv"),
];

/** Sources `file` in `shell` and returns the variables a child then sees that it did not see before. */
async function sourceIn(shell: string, file: string, baseline: ReadonlySet<string>): Promise<ReadResult> {
  try {
    const { stdout } = await run(shell, ["-c", '. "$1" && exec env -0', shell, file], {
      env: readerEnv(),
      encoding: "buffer",
      maxBuffer: 1 << 28,
    });
    const values: Record<string, Uint8Array> = {};
    let start = 0;
    for (let i = 0; i < stdout.length; i++) {
      if (stdout[i] !== 0) continue;
      const entry = stdout.subarray(start, i);
      start = i + 1;
      const eq = entry.indexOf(0x3d);
      const name = entry.subarray(0, eq).toString("utf8");
      if (!baseline.has(name)) values[name] = new Uint8Array(entry.subarray(eq + 1));
    }
    return { values };
  } catch (e) {
    return { error: `${(e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message}` };
  }
}

/** `. file` in bash and in dash. */
export const SHELL_READERS: readonly FileReader[] = ["bash", "dash"].map((shell) => ({
  name: shell,
  async read(files) {
    const empty = join(await mkdtemp(join(tmpdir(), "lockstep-shell-")), "empty.sh");
    await writeFile(empty, "");
    const base = await sourceIn(shell, empty, new Set());
    if ("error" in base) throw new Error(`${shell}: ${base.error}`);
    const baseline = new Set(Object.keys(base.values));
    return Promise.all(files.map((f) => sourceIn(shell, f, baseline)));
  },
}));

/** The YAML readers: each must give a map of string to string. */
export const YAML_READERS: readonly FileReader[] = [
  inProcess("yaml (1.2)", (t) => parseYaml(t) as Record<string, unknown>),
  inProcess("yaml (1.1 mode)", (t) => parseYaml(t, { version: "1.1" }) as Record<string, unknown>),
  inProcess("js-yaml", (t) => jsYaml.load(t) as Record<string, unknown>),
  python("pyyaml", "PyYAML safe_load"),
  {
    name: "sigs.k8s.io/yaml (kubectl, helm)",
    async read(files) {
      const { stdout } = await run(await buildGoReaders(), ["k8s-yaml", ...files], {
        env: readerEnv(),
        maxBuffer: 1 << 28,
      });
      return (JSON.parse(stdout) as ({ json: string } | { error: string })[]).map((r): ReadResult => {
        if ("error" in r) return r;
        const parsed = JSON.parse(r.json) as Record<string, unknown>;
        const values: Record<string, Uint8Array> = {};
        for (const [k, v] of Object.entries(parsed ?? {})) {
          if (typeof v !== "string") return { error: `${k} read as ${typeof v}: ${String(v)}` };
          values[k] = utf8(v);
        }
        return { values };
      });
    },
  },
];

/**
 * A whole YAML document as a YAML 1.1 reader loads it, as JSON data
 * (PyYAML `safe_load`, or sigs.k8s.io/yaml's YAMLToJSON as kubectl and helm
 * do). A boolean, number or date stays one, so a test sees what a plain
 * scalar turned into.
 */
export async function yaml11Document(reader: "pyyaml" | "sigs.k8s.io/yaml", file: string): Promise<unknown> {
  const { stdout } =
    reader === "pyyaml"
      ? await run(DEBIAN_PYTHON, [join(HERE, "readers.py"), "pyyaml-doc", file], { env: readerEnv() })
      : await run(await buildGoReaders(), ["k8s-yaml", file], { env: readerEnv() });
  const [result] = JSON.parse(stdout) as ({ json: string } | { error: string })[];
  if (result === undefined || "error" in result) throw new Error(`${reader}: ${result?.error}`);
  return JSON.parse(result.json);
}

/**
 * Reads a Kubernetes manifest with kubectl, offline (`label --local` that
 * removes a label no object has: kubectl decodes the manifest into its
 * typed object and prints it back as JSON).
 */
export async function kubectlRead(file: string): Promise<{ object: Record<string, unknown> } | { error: string }> {
  try {
    const { stdout } = await run("kubectl", ["label", "--local", "-f", file, "-o", "json", "lockstep-absent-"], {
      env: { ...readerEnv(), KUBECONFIG: "/dev/null" },
      maxBuffer: 1 << 28,
    });
    return { object: JSON.parse(stdout) as Record<string, unknown> };
  } catch (e) {
    return { error: (e as { stderr?: string }).stderr ?? (e as Error).message };
  }
}

/**
 * Whether kubectl accepts `key=value` as a label (it checks both with
 * Kubernetes' own validation, offline).
 */
export async function kubectlAcceptsLabel(file: string, key: string, value: string): Promise<boolean> {
  try {
    await run("kubectl", ["label", "--local", "-f", file, "-o", "name", `${key}=${value}`], {
      env: { ...readerEnv(), KUBECONFIG: "/dev/null" },
    });
    return true;
  } catch {
    return false;
  }
}

/** Whether kubectl accepts `key` as a Secret data key (`create secret generic --dry-run=client`, offline). */
export async function kubectlAcceptsDataKey(key: string): Promise<boolean> {
  try {
    await run(
      "kubectl",
      ["create", "secret", "generic", "probe", `--from-literal=${key}=x`, "--dry-run=client", "-o", "name"],
      { env: { ...readerEnv(), KUBECONFIG: "/dev/null" } },
    );
    return true;
  } catch {
    return false;
  }
}
