/**
 * The reader matrix (issue 15, item 9): a table of awkward values through
 * every text export format, each read back by the parsers apps really use
 * (test/support/readers.ts; .ci/run installs them). A format either carries
 * a value, and then every reader gets its exact bytes, or refuses it with a
 * coded error; which it refuses is stated here, per value, as the contract.
 * Each value sits between two sentinel variables, so a value that runs
 * into, creates or changes another variable shows as a difference.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { textBytes, utf8Text } from "../../src/core/bytes.js";
import {
  carries,
  type ExportEntry,
  type ExportFormat,
  renderExport,
  renderGithubExport,
} from "../../src/core/export-formats.js";
import type { LockstepError } from "../../src/errors.js";
import { logLines, readGithubEnv, SecretMasker } from "../support/github-env.js";
import {
  buildGoReaders,
  DOTENV_READERS,
  type FileReader,
  kubectlRead,
  type ReadResult,
  SHELL_READERS,
  YAML_READERS,
} from "../support/readers.js";
import { TRICKY_YAML_STRINGS } from "../support/yaml-strings.js";

type Format = Exclude<ExportFormat, "files">;

/** One row: a value, and the formats that must refuse it (all others must carry it). */
interface Row {
  label: string;
  value: Uint8Array;
  refusedBy?: readonly Format[];
}

const row = (label: string, value: string | Uint8Array, refusedBy?: readonly Format[]): Row => ({
  label,
  value: typeof value === "string" ? textBytes(value) : value,
  ...(refusedBy !== undefined && { refusedBy }),
});

/** 100 KB of PEM-like text, lines of 64. */
const BIG = Array.from({ length: 1600 }, (_, i) =>
  Buffer.from(Array.from({ length: 48 }, (_, j) => (i * 31 + j * 7) % 256)).toString("base64"),
).join("\n");

const ROWS: readonly Row[] = [
  row("plain", "hunter2"),
  row("single quote", "it's"),
  row("double quotes", 'say "hi"'),
  row("backticks", "`id`"),
  row("all three quotes", `it's \`x\` "q"`),
  row("lone single quote", "'"),
  row("lone double quote", '"'),
  row("backslashes", "C:\\path\\to\\file"),
  row("trailing backslash", "secret\\"),
  row("lone backslash", "\\"),
  row("double backslash", "a\\\\b"),
  row("backslash n", "\\n is not a newline"),
  row("escaped quotes", "\\\"x\\'"),
  row("dollar forms", "$HOME $(whoami) `id` pa$$word $"),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference python-dotenv expands everywhere
  row("${VAR} reference", "${PATH} and ${X:-d}", ["dotenv"]),
  row("' and \\ and $", "it's C:\\$HOME", ["dotenv"]),
  row("quoted \\\\", '"C:\\\\dir"', ["dotenv"]),
  row("' and $ and CRLF", "it's $HOME\r\n", ["dotenv"]),
  row("hash", "abc # not a comment"),
  row("tight hash", "value# tight"),
  row("leading hash", "#first"),
  row("equals", "a=b==c"),
  row("CR", "a\rb"),
  row("LF", "line1\nline2"),
  row("CRLF", "line1\r\nline2"),
  row("trailing newline", "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n"),
  row("empty", ""),
  row("spaces", "  padded  "),
  row("spaces and quote", " it's "),
  row("tabs", "\tt\t"),
  row("unicode", "pässwörd 🔐 日本"),
  row("unicode line separators", "a\u2028b\u2029c\u0085d"),
  row("byte order mark", "\ufeffbom"),
  row("control characters", "\u0001\u0007\u001b[31m\u007f"),
  row("a second variable", "x\nEVIL=1"),
  row("quote, then a second variable", "x'\nEVIL=1\n'"),
  row("double quote, then a second variable", '"\nEVIL=1\n"'),
  row("heredoc-like", "EOF\nghadelimiter_x\n"),
  row("workflow command", "::add-mask::x%0A"),
  row("NUL", "a\0b", ["dotenv", "shell", "github"]),
  row("invalid UTF-8", Uint8Array.of(0x01, 0xff, 0xfe, 0x80, 0x61), ["dotenv", "json", "yaml", "github"]),
  row("key store (NUL and invalid UTF-8)", Uint8Array.of(0x00, 0x01, 0xff, 0xfe, 0x80, 0x61, 0x62, 0x63), [
    "dotenv",
    "shell",
    "json",
    "yaml",
    "github",
  ]),
  row("100 KB", BIG),
  // The YAML suite's strings (types, indicators, breaks), less a lone surrogate, which is no UTF-8.
  ...TRICKY_YAML_STRINGS.filter((s) => !/\p{Cs}/u.test(s)).map((s) =>
    row(`yaml: ${JSON.stringify(s)}`, s, s.includes("\0") ? ["dotenv", "shell", "github"] : undefined),
  ),
];

/** Variable names a YAML 1.1 reader would turn into something else, were they plain. */
const AWKWARD_NAMES = ["NO", "Y", "n", "ON", "off", "NULL", "TRUE", "_1"];

const FORMATS: readonly Format[] = ["dotenv", "shell", "json", "yaml", "k8s", "github"];

/** The entries of the matrix for `format`: each carried value between sentinels, then the awkward names. */
function layout(format: Format): { entries: ExportEntry[]; labels: Map<string, string> } {
  const entries: ExportEntry[] = [];
  const labels = new Map<string, string>();
  const sentinel = (i: number) =>
    entries.push({ name: `S${i}`, id: `matrix/s${i}`, value: textBytes(`sentinel ${i}`) });
  ROWS.forEach((r, i) => {
    if (!carries(format, r.value)) return;
    sentinel(i);
    entries.push({ name: `V${i}`, id: `matrix/v${i}`, value: r.value });
    labels.set(`V${i}`, r.label);
  });
  sentinel(ROWS.length);
  for (const name of AWKWARD_NAMES) entries.push({ name, id: `matrix/${name.toLowerCase()}`, value: textBytes(name) });
  return { entries, labels };
}

/** Differences between what a reader got and the entries: missing, extra or changed variables. */
function differences(reader: string, result: ReadResult, entries: readonly ExportEntry[], labels: Map<string, string>) {
  if ("error" in result) return [`${reader}: ${result.error}`];
  const out: string[] = [];
  const expected = new Map(entries.map((e) => [e.name, e.value]));
  for (const [name, value] of expected) {
    const got = result.values[name];
    const what = labels.get(name) ?? name;
    if (got === undefined) out.push(`${reader}: ${what}: missing`);
    else if (!Buffer.from(got).equals(Buffer.from(value))) {
      out.push(`${reader}: ${what}: got ${JSON.stringify(Buffer.from(got).toString())}`);
    }
  }
  for (const name of Object.keys(result.values)) if (!expected.has(name)) out.push(`${reader}: created ${name}`);
  return out;
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lockstep-matrix-"));
  await buildGoReaders();
}, 600_000);

describe("which values each format refuses", () => {
  for (const format of FORMATS) {
    it(`${format}: exactly the rows the contract says, each with UNREPRESENTABLE_VALUE`, () => {
      const refused = ROWS.filter((r) => !carries(format, r.value)).map((r) => r.label);
      const contract = ROWS.filter((r) => r.refusedBy?.includes(format)).map((r) => r.label);
      expect(refused).toEqual(contract);
      for (const r of ROWS.filter((x) => x.refusedBy?.includes(format))) {
        const e = { name: "V", id: "matrix/v", value: r.value };
        const attempt = () =>
          format === "github" ? renderGithubExport([e]) : renderExport(format, [e], { name: "matrix" });
        expect(attempt).toThrow();
        try {
          attempt();
        } catch (err) {
          expect((err as LockstepError).code).toBe("UNREPRESENTABLE_VALUE");
          expect((err as LockstepError).message).toContain("matrix/v (V)");
        }
      }
    });
  }
});

async function readAll(format: Format, readers: readonly FileReader[]): Promise<string[]> {
  const { entries, labels } = layout(format);
  const file = join(dir, `matrix.${format}`);
  await writeFile(file, renderExport(format as "dotenv", entries));
  const results = await Promise.all(readers.map(async (r) => [r.name, (await r.read([file]))[0]] as const));
  return results.flatMap(([name, result]) => differences(name, result as ReadResult, entries, labels));
}

describe("every reader reads back every value a format carries, exactly", () => {
  it("dotenv: npm dotenv, dotenvx, python-dotenv, docker-compose, godotenv", async () => {
    expect(await readAll("dotenv", DOTENV_READERS)).toEqual([]);
  });

  it("shell: bash and dash", async () => {
    expect(await readAll("shell", SHELL_READERS)).toEqual([]);
  });

  it("json: JSON.parse", async () => {
    const { entries } = layout("json");
    const parsed = JSON.parse(new TextDecoder().decode(renderExport("json", entries))) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual(entries.map((e) => e.name));
    for (const e of entries) expect(textBytes(parsed[e.name] as string)).toEqual(e.value);
  });

  it("yaml: the yaml package (1.2 and 1.1), js-yaml, PyYAML, sigs.k8s.io/yaml", async () => {
    expect(await readAll("yaml", YAML_READERS)).toEqual([]);
  });

  it("k8s: kubectl decodes every value's bytes (Kubernetes' own validation: k8s.test.ts)", async () => {
    const { entries, labels } = layout("k8s");
    const file = join(dir, "matrix.k8s.yaml");
    await writeFile(file, renderExport("k8s", entries, { name: "matrix", labels: { enabled: "yes" } }));
    const read = await kubectlRead(file);
    if ("error" in read) throw new Error(read.error);
    const data = (read.object as { data?: Record<string, string> }).data ?? {};
    const result: ReadResult = {
      values: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, "base64"))])),
    };
    expect(differences("kubectl", result, entries, labels)).toEqual([]);
  });

  it("github: the runner's $GITHUB_ENV reader, and its masker on every log line", async () => {
    const { entries, labels } = layout("github");
    const out = renderGithubExport(entries);
    const env = readGithubEnv(out.envFile);
    const result: ReadResult = { values: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, textBytes(v)])) };
    expect(differences("runner", result, entries, labels)).toEqual([]);
    const masker = new SecretMasker();
    masker.processOutput(out.masks);
    const shown = entries
      .filter((e) => labels.has(e.name))
      .flatMap((e) => logLines(utf8Text(e.value) as string).map((l) => [labels.get(e.name), masker.mask(l)]))
      .filter(([, line]) => (line as string).replace(/\*\*\*/g, "").trim() !== "");
    expect(shown).toEqual([]);
  });
});

describe("no dotenv form works where dotenv refuses", () => {
  /** Every way of writing a value the dotenv tools document. */
  const candidates = (v: string): string[] => [
    `'${v}'`,
    `"${v.replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`,
    `"${v
      .replace(/[\\"$]/g, "\\$&")
      .replace(/\n/g, "\\n")
      .replace(/\r/g, "\\r")}"`,
    `\`${v}\``,
    v,
  ];

  it("for each refused text value, every candidate form is misread by some reader", async () => {
    const refused = ROWS.filter((r) => r.refusedBy?.includes("dotenv") && !r.refusedBy.includes("json"));
    const misread: string[] = [];
    for (const r of refused.filter((x) => !x.value.includes(0))) {
      const v = new TextDecoder().decode(r.value);
      const files = await Promise.all(
        candidates(v).map(async (c, i) => {
          const f = join(dir, `candidate-${ROWS.indexOf(r)}-${i}.env`);
          await writeFile(f, `BEFORE=1\nV=${c}\nAFTER=2\n`);
          return f;
        }),
      );
      const expected: ExportEntry[] = [
        { name: "BEFORE", id: "b", value: textBytes("1") },
        { name: "V", id: "v", value: r.value },
        { name: "AFTER", id: "a", value: textBytes("2") },
      ];
      const byCandidate = files.map(() => 0);
      for (const reader of DOTENV_READERS) {
        const results = await reader.read(files);
        results.forEach((res, i) => {
          if (differences(reader.name, res, expected, new Map()).length > 0) byCandidate[i] = (byCandidate[i] ?? 0) + 1;
        });
      }
      byCandidate.forEach((n, i) => {
        if (n === 0) misread.push(`${r.label}: candidate ${i} reads back in every reader`);
      });
    }
    expect(misread).toEqual([]);
  });
});
