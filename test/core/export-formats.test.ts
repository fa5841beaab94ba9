import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dotenv from "dotenv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseDotenv } from "../../src/core/dotenv.js";
import { dotenvQuote, renderGithub, renderText } from "../../src/core/export-formats.js";
import { readGithubEnv } from "../support/github-env.js";

/** Values that break naive quoting. */
const nasty: Record<string, string> = {
  PLAIN: "hunter2",
  NEWLINES: "line one\nline two\n\nline four",
  QUOTES: `it's "quoted" \`both\``,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion that must stay literal
  DOLLAR: "$HOME ${PATH} $(whoami) `id`",
  BACKSLASH: "C:\\path\\to\\n\\file\\",
  UNICODE: "pässwörd 🔐 日本",
  SPACES: "  padded  ",
  HASH: "abc # not a comment",
  EMPTY: "",
  PEM: "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n",
};

const valueArb = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes("\r"));
const valuesArb = fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), valueArb, {
  maxKeys: 6,
  noNullPrototype: true,
});

describe("dotenv", () => {
  it("the dotenv package reads back every value", async () => {
    const text = await renderText("dotenv", nasty);
    const { QUOTES, BACKSLASH, ...rest } = nasty;
    const parsed = dotenv.parse(text);
    // The dotenv package reads values with both ' and ` through double quotes only partly.
    expect(parsed).toMatchObject(rest);
    expect(parsed.BACKSLASH).toBe(BACKSLASH);
    expect(parseDotenv(text, "out.env").find((e) => e.key === "QUOTES")?.value).toBe(QUOTES);
  });

  it("lockstep's own parser reads back any value", async () => {
    await fc.assert(
      fc.asyncProperty(valuesArb, async (values) => {
        const parsed = Object.fromEntries(
          parseDotenv(await renderText("dotenv", values), "x").map((e) => [e.key, e.value]),
        );
        expect(parsed).toEqual(values);
      }),
    );
  });

  it("the dotenv package reads back any value without both quote kinds", async () => {
    await fc.assert(
      fc.asyncProperty(valuesArb, async (values) => {
        fc.pre(Object.values(values).every((v) => !(v.includes("'") && v.includes("`"))));
        expect(dotenv.parse(await renderText("dotenv", values))).toEqual(values);
      }),
    );
  });

  it("quotes with single quotes when it can", async () => {
    expect(dotenvQuote("a b")).toBe("'a b'");
    expect(dotenvQuote("it's")).toBe("`it's`");
    expect(dotenvQuote('it\'s `x` "y"')).toBe('"it\'s `x` \\"y\\""');
  });
});

describe("shell", () => {
  for (const shell of ["bash", "sh"]) {
    it(`${shell} sourcing the output gets every value exactly`, async () => {
      const file = join(mkdtempSync(join(tmpdir(), "lockstep-shell-")), "values.sh");
      writeFileSync(file, await renderText("shell", nasty));
      const out = execFileSync(shell, ["-c", `. "$1"; exec node -p 'JSON.stringify(process.env)'`, shell, file], {
        encoding: "utf8",
        env: { PATH: process.env.PATH },
      });
      const env = JSON.parse(out) as Record<string, string>;
      expect(Object.fromEntries(Object.keys(nasty).map((k) => [k, env[k]]))).toEqual(nasty);
    });
  }
});

describe("json and yaml", () => {
  it("parse back to the same map", async () => {
    expect(JSON.parse(await renderText("json", nasty))).toEqual(nasty);
    expect(parseYaml(await renderText("yaml", nasty))).toEqual(nasty);
    expect(parseYaml(await renderText("yaml", {}))).toEqual({});
  });

  it("yaml round-trips any value", async () => {
    await fc.assert(
      fc.asyncProperty(valuesArb, async (values) => {
        expect(parseYaml(await renderText("yaml", values)) ?? {}).toEqual(values);
      }),
    );
  });
});

describe("k8s", () => {
  it("is a v1 Secret whose data decodes to the values", async () => {
    const doc = parseYaml(
      await renderText("k8s", nasty, { name: "api-secrets", namespace: "prod", labels: { app: "api" } }),
    ) as { data: Record<string, string> };
    expect(doc).toMatchObject({
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name: "api-secrets", namespace: "prod", labels: { app: "api" } },
    });
    const decoded = Object.fromEntries(
      Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
    expect(decoded).toEqual(nasty);
  });
});

describe("github", () => {
  it("the runner reads back every value from $GITHUB_ENV", async () => {
    expect(readGithubEnv(renderGithub(nasty).envFile)).toEqual(nasty);
    await fc.assert(
      fc.asyncProperty(valuesArb, async (values) => {
        expect(readGithubEnv(renderGithub(values).envFile)).toEqual(values);
      }),
    );
  });

  it("masks every non-empty line of every value", async () => {
    const { masks } = renderGithub(nasty);
    const masked = masks
      .trimEnd()
      .split("\n")
      .map((l) => l.replace(/^::add-mask::/, ""));
    for (const value of Object.values(nasty)) {
      for (const line of value.split("\n").filter((l) => l.trim() !== "")) expect(masked).toContain(line);
    }
    expect(
      masks
        .split("\n")
        .filter(Boolean)
        .every((l) => l.startsWith("::add-mask::")),
    ).toBe(true);
  });

  it("escapes % so a mask command cannot be cut short", async () => {
    expect(renderGithub({ A: "100%\rx" }).masks).toBe("::add-mask::100%25%0Dx\n");
  });

  it("never uses a delimiter that occurs in the value", async () => {
    const { envFile } = renderGithub({ A: "x" });
    const delimiter = (/^A<<(.+)$/m.exec(envFile) as RegExpExecArray)[1] as string;
    expect(readGithubEnv(renderGithub({ A: `before\n${delimiter}\nafter` }).envFile).A).toBe(
      `before\n${delimiter}\nafter`,
    );
  });
});
