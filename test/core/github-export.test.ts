/**
 * The `github` format, read by the runner's own rules (ported in
 * test/support/github-env.ts from actions/runner).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExportEntry } from "../../src/core/export-entry.js";
import { renderGithubExport } from "../../src/core/github-export.js";
import type { LockstepError } from "../../src/errors.js";
import { logLines, processGithubEnv, readGithubEnv, SecretMasker } from "../support/github-env.js";

const text = (s: string) => new TextEncoder().encode(s);
const entry = (name: string, value: string | Uint8Array): ExportEntry => ({
  name,
  id: `production/${name.toLowerCase()}`,
  value: typeof value === "string" ? text(value) : value,
});

/** What a step's log shows when it prints `value`, after lockstep's masks went through the runner. */
function logged(masks: string, value: string, runnerSplitsMasks: boolean): string[] {
  const masker = new SecretMasker(runnerSplitsMasks);
  masker.processOutput(masks);
  return logLines(value).map((l) => masker.mask(l));
}

/** Whether a log line shows anything of the secret: only `***` and white space may remain. */
const reveals = (line: string) => line.replace(/\*\*\*/g, "").trim() !== "";

const AWKWARD = [
  "plain",
  "a\rb",
  "line1\nline2",
  "line1\r\nline2\r\n",
  "\r\n\r\n",
  "  padded  \r  ",
  "100%\r25%0A",
  "%0D%0A%25",
  "::add-mask::x",
  "tab\tinside",
  "ünï 😀\u2028x",
  "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n",
];

describe("masks", () => {
  it("one ::add-mask:: per part between CR, LF or CRLF: every log line of every value is masked, on any runner", () => {
    for (const runnerSplits of [false, true]) {
      const { masks } = renderGithubExport(AWKWARD.map((v, i) => entry(`V${i}`, v)));
      for (const v of AWKWARD) expect(logged(masks, v, runnerSplits).filter(reveals)).toEqual([]);
    }
  });

  it("any value: no log line reveals a part of it", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", " ", "\r", "\n", "%", "0", "A", "D", ":") }), (v) => {
        const { masks } = renderGithubExport([entry("A", v)]);
        expect(logged(masks, v, false).filter(reveals)).toEqual([]);
      }),
    );
  });

  it("the first milestone's masks (lines split at LF only) left `a` CR `b` unmasked on a runner that does not split", () => {
    const oldMasks = "a\rb"
      .split(/\r?\n/)
      .map((l) => `::add-mask::${l.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}\n`)
      .join("");
    expect(logged(oldMasks, "a\rb", false).filter(reveals)).toEqual(["a", "b"]);
    expect(renderGithubExport([entry("A", "a\rb")]).masks).toBe("::add-mask::a\n::add-mask::b\n");
  });

  it("prints no mask for white space, which the runner refuses", () => {
    expect(renderGithubExport([entry("A", " \r\n\t"), entry("B", "")]).masks).toBe("");
  });
});

describe("$GITHUB_ENV", () => {
  it("the runner reads back every value exactly", () => {
    const entries = AWKWARD.map((v, i) => entry(`V${i}`, v));
    expect(readGithubEnv(renderGithubExport(entries).envFile)).toEqual(
      Object.fromEntries(AWKWARD.map((v, i) => [`V${i}`, v])),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.string({ unit: "grapheme" })), (d) => {
        const out = renderGithubExport(Object.entries(d).map(([k, v]) => entry(k, v)));
        expect(readGithubEnv(out.envFile)).toEqual(d);
      }),
    );
  });

  it("an existing file whose last line has no newline still parses after the append", () => {
    const existing = "EARLIER=kept";
    const appended = renderGithubExport([entry("A", "x")], { afterUnfinishedLine: true }).envFile;
    expect(readGithubEnv(existing + appended)).toEqual({ EARLIER: "kept", A: "x" });
    // Without the newline, the runner rejects the whole file.
    expect(() => processGithubEnv(existing + renderGithubExport([entry("A", "x")]).envFile)).toThrow(/Invalid format/);
  });

  it("never uses a delimiter that occurs in a value", () => {
    const { envFile } = renderGithubExport([entry("A", "x")]);
    const delimiter = (/^A<<(.+)$/m.exec(envFile) as RegExpExecArray)[1] as string;
    const v = `before\n${delimiter}\nafter`;
    expect(readGithubEnv(renderGithubExport([entry("A", v)]).envFile).A).toBe(v);
  });

  it.each([
    ["NODE_OPTIONS", /refuses/],
    ["node_options", /refuses/],
    ["GITHUB_SHA", /sets GITHUB_SHA itself/],
    ["GITHUB_ENV", /sets GITHUB_ENV itself/],
    ["RUNNER_TEMP", /sets RUNNER_TEMP itself/],
  ])("%s is an error naming the secret, not a silent skip", (name, why) => {
    try {
      renderGithubExport([entry("OK", "x"), entry(name, "v")]);
      expect.unreachable();
    } catch (e) {
      expect((e as LockstepError).code).toBe("INVALID_NAME");
      expect((e as LockstepError).message).toContain(`production/${name.toLowerCase()} exports as ${name}`);
      expect((e as LockstepError).message).toMatch(why);
    }
    // The runner indeed refuses NODE_OPTIONS: it sets the others, and not that one.
    if (/node_options/i.test(name)) {
      expect(processGithubEnv(`OK=x\n${name}=v\n`)).toEqual({ env: { OK: "x" }, refused: [name] });
    }
  });

  it("refuses a value that is not UTF-8 text or holds NUL, naming the formats that carry it", () => {
    for (const value of [Uint8Array.of(0xff, 0x00), text("a\0b")]) {
      try {
        renderGithubExport([entry("KEY", value)]);
        expect.unreachable();
      } catch (e) {
        expect((e as LockstepError).code).toBe("UNREPRESENTABLE_VALUE");
        expect((e as LockstepError).fix).toContain("--format files");
      }
    }
  });
});
