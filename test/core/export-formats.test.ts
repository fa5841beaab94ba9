/**
 * The renderers, one by one: which form each value gets, and the coded
 * refusal where a format cannot carry a value. Whether real readers read
 * the output back exactly is the reader matrix's business
 * (reader-matrix.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { dotenvForm, dotenvQuote } from "../../src/core/dotenv-quote.js";
import {
  carries,
  type ExportEntry,
  formatsCarrying,
  renderExport,
  shellQuote,
  shellQuoteBytes,
} from "../../src/core/export-formats.js";
import type { LockstepError } from "../../src/errors.js";

const text = (s: string) => new TextEncoder().encode(s);
const entry = (name: string, value: Uint8Array | string, id = `production/${name.toLowerCase()}`): ExportEntry => ({
  name,
  id,
  value: typeof value === "string" ? text(value) : value,
});
const render = (format: Parameters<typeof renderExport>[0], entries: ExportEntry[]) =>
  new TextDecoder().decode(renderExport(format, entries, { name: "x" }));
const KEYSTORE = Uint8Array.of(0x00, 0x01, 0xff, 0xfe, 0x80, 0x61, 0x62, 0x63);

function refusal(f: () => unknown): LockstepError {
  try {
    f();
  } catch (e) {
    expect((e as LockstepError).code).toBe("UNREPRESENTABLE_VALUE");
    return e as LockstepError;
  }
  throw new Error("expected a refusal");
}

describe("dotenv", () => {
  it("the issue's failing inputs each get a form every reader reads back", () => {
    expect(render("dotenv", [entry("A", "it's")])).toBe(`A="it's"\n`); // not backticks: python-dotenv keeps them
    expect(render("dotenv", [entry("A", "secret\\")])).toBe("A=secret\\\n"); // '...\' ends python's and godotenv's quote late
    expect(render("dotenv", [entry("A", "line1\r\nline2")])).toBe('A="line1\\r\\nline2"\n'); // a raw CR is lost
    expect(render("dotenv", [entry("A", `it's \`x\` "q"`)])).toBe(`A=it's \`x\` "q"\n`); // npm dotenv kept added backslashes
  });

  it("single quotes where it can, lines and all", () => {
    expect(dotenvQuote("a b")).toBe("'a b'");
    expect(dotenvQuote('$HOME $(id) `id` "q"')).toBe("'$HOME $(id) `id` \"q\"'");
    expect(dotenvQuote("-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n")).toBe(
      "'-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n'",
    );
    expect(dotenvQuote("C:\\path")).toBe("'C:\\path'");
  });

  it.each([
    ["a ' with a \\ and a $", "it's C:\\$HOME", ["'", "\\", "$"]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: python-dotenv expands it even in single quotes
    ["a ${VAR} python-dotenv would expand", "${PATH} and $1", ["$"]],
    ['a \\\\, and a " at the start', '"C:\\\\dir"', ["\\", '"']],
    ["a NUL byte", "a\0b", ["a NUL byte"]],
  ])("refuses %s, naming the secret, why, and json, shell or files", (_what, value, kinds) => {
    const e = refusal(() => render("dotenv", [entry("OK", "fine"), entry("TOKEN", value, "production/api/token")]));
    expect(e.message).toContain("production/api/token (TOKEN)");
    expect(e.message).toContain("--format dotenv");
    for (const k of kinds) expect(e.message).toContain(k);
    expect(e.fix).toMatch(/--format json|--format shell/);
    expect(e.fix).toContain("--format files");
    expect(`${e.message} ${e.fix}`).not.toContain(value);
  });

  it("refuses bytes that are not UTF-8, naming the formats that carry them", () => {
    const e = refusal(() => render("dotenv", [entry("KEYSTORE", KEYSTORE, "production/tls/keystore")]));
    expect(e.message).toContain("production/tls/keystore");
    expect(e.message).toContain("not UTF-8");
    expect(e.fix).toBe("export it with --format k8s, --format files");
  });

  it("every text value gets one of the three forms, or a refusal", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 20 }), (v) => {
        const form = dotenvForm(v);
        if (form === undefined) refusal(() => render("dotenv", [entry("A", v)]));
        else expect(render("dotenv", [entry("A", v)])).toBe(`A=${dotenvQuote(v)}\n`);
      }),
    );
  });
});

describe("shell", () => {
  it("single-quotes bytes, text or not, with ' as '\\''", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (v) => {
        expect(new TextDecoder().decode(shellQuoteBytes(text(v)))).toBe(shellQuote(v));
      }),
    );
    const quoted = shellQuoteBytes(Uint8Array.of(0xff, 0x27, 0x80));
    expect([...quoted]).toEqual([0x27, 0xff, 0x27, 0x5c, 0x27, 0x27, 0x80, 0x27]);
  });

  it("writes export lines, and refuses a NUL byte (no variable holds one)", () => {
    expect(render("shell", [entry("A", "it's"), entry("B", "")])).toBe("export A='it'\\''s'\nexport B=''\n");
    const e = refusal(() => render("shell", [entry("A", KEYSTORE)]));
    expect(e.message).toContain("NUL");
    expect(e.fix).toBe("export it with --format k8s, --format files");
  });
});

describe("json and yaml", () => {
  it("carry any UTF-8 text, NUL included, and refuse other bytes", () => {
    const values = [entry("A", "a\0b"), entry("B", "no"), entry("C", "12:30:00")];
    expect(JSON.parse(render("json", values))).toEqual({ A: "a\0b", B: "no", C: "12:30:00" });
    expect(parseYaml(render("yaml", values))).toEqual({ A: "a\0b", B: "no", C: "12:30:00" });
    for (const format of ["json", "yaml"] as const) {
      expect(refusal(() => render(format, [entry("K", KEYSTORE)])).message).toContain("not UTF-8");
    }
  });

  it("yaml double-quotes every key and value, one line each", () => {
    expect(render("yaml", [entry("NO", "no"), entry("PEM", 'a\nb\u0085c\u2028\t\u001b\ufeff"\\')])).toBe(
      '"NO": "no"\n"PEM": "a\\nb\\Nc\\L\\t\\e\\ufeff\\"\\\\"\n',
    );
    expect(render("yaml", [])).toBe("{}\n");
    expect(render("json", [])).toBe("{}\n");
  });
});

describe("which formats carry what", () => {
  it("files and k8s carry any bytes; shell all but NUL; the text formats UTF-8", () => {
    expect(formatsCarrying(KEYSTORE)).toEqual(["k8s", "files"]);
    expect(formatsCarrying(KEYSTORE.subarray(1))).toEqual(["shell", "k8s", "files"]);
    expect(formatsCarrying(text("a\0b"))).toEqual(["json", "yaml", "k8s", "files"]);
    expect(formatsCarrying(text("plain"))).toEqual(["dotenv", "json", "yaml", "shell", "k8s", "github", "files"]);
    expect(carries("k8s", new Uint8Array(1024 * 1024 + 1))).toBe(false);
  });
});
