import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  assertNotEncrypted,
  findEncryptedMark,
  flattenImportTree,
  type ImportMap,
  type ImportNode,
  importNodeToJson,
} from "../../src/core/import-tree.js";
import { LockstepError } from "../../src/errors.js";

const s = (text: string): ImportNode => ({ kind: "scalar", type: "string", text });
const n = (text: string): ImportNode => ({ kind: "scalar", type: "number", text });
const b = (text: string): ImportNode => ({ kind: "scalar", type: "boolean", text });
const nul: ImportNode = { kind: "scalar", type: "null", text: "" };
const map = (...entries: [string, ImportNode][]): ImportMap => ({
  kind: "map",
  entries: entries.map(([key, node], i) => ({ key, node, line: i + 1 })),
});
const list = (...items: ImportNode[]): ImportNode => ({ kind: "list", items });

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof LockstepError) return e.code;
    throw e;
  }
  return undefined;
}

describe("flattenImportTree", () => {
  test("nested keys become paths, exported upper-cased; top-level names keep their spelling", () => {
    const tree = map(
      ["DB_PASSWORD", s("pw")],
      ["api_key", s("k")],
      ["database", map(["user", s("admin")], ["Pool", map(["max", n("10")])])],
    );
    const { secrets } = flattenImportTree(tree, { source: "f.yaml" });
    expect(secrets.map((x) => [x.path, x.envName, x.value, x.type])).toEqual([
      ["db_password", "DB_PASSWORD", "pw", "string"],
      ["api_key", "api_key", "k", "string"],
      ["database/user", "DATABASE_USER", "admin", "string"],
      ["database/pool/max", "DATABASE_POOL_MAX", "10", "string"],
    ]);
    expect(secrets[3]?.keys).toEqual(["database", "Pool", "max"]);
  });

  test("scalars keep their text as written; null is the empty value; the kind is reported", () => {
    const tree = map(["ratio", n("1.50")], ["id", n("12345678901234567890")], ["on", b("True")], ["none", nul]);
    const { secrets } = flattenImportTree(tree, { source: "f" });
    expect(secrets.map((x) => [x.value, x.was])).toEqual([
      ["1.50", "number"],
      ["12345678901234567890", "number"],
      ["True", "boolean"],
      ["", "null"],
    ]);
  });

  test("lists are one json secret; keepObjects keeps top-level maps whole", () => {
    const tree = map(
      ["hosts", list(s("a"), n("2"), n("0x1F"), b("TRUE"), nul)],
      ["db", map(["user", s("u")], ["port", n("5432")])],
    );
    const flat = flattenImportTree(tree, { source: "f" });
    expect(flat.secrets.map((x) => [x.path, x.type, x.value, x.was])).toEqual([
      ["hosts", "json", '["a",2,"0x1F",true,null]', "list"],
      ["db/user", "string", "u", "string"],
      ["db/port", "string", "5432", "number"],
    ]);
    const kept = flattenImportTree(tree, { source: "f", keepObjects: true });
    expect(kept.secrets.map((x) => [x.path, x.type, x.value, x.envName, x.was])).toEqual([
      ["hosts", "json", '["a",2,"0x1F",true,null]', "hosts", "list"],
      ["db", "json", '{"user":"u","port":5432}', "db", "object"],
    ]);
  });

  test("an empty map is reported as skipped; a name starting with a digit gets a leading _", () => {
    const flat = flattenImportTree(map(["empty", map()], ["0word", s("x")], ["a", map(["1b", s("y")])]), {
      source: "f",
    });
    expect(flat.skipped.map((k) => [k.keys, k.reason])).toEqual([[["empty"], "an empty object"]]);
    expect(flat.secrets.map((x) => x.envName)).toEqual(["_0WORD", "A_1B"]);
  });

  test("keys that cannot be segments, and collisions of ids or variable names, are INVALID_VALUE", () => {
    const bad = (tree: ImportMap) => codeOf(() => flattenImportTree(tree, { source: "f" }));
    expect(bad(map(["has space", s("x")]))).toBe("INVALID_VALUE");
    expect(bad(map(["a/b", s("x")]))).toBe("INVALID_VALUE");
    expect(bad(map([".", s("x")]))).toBe("INVALID_VALUE");
    expect(bad(map(["", s("x")]))).toBe("INVALID_VALUE");
    expect(bad(map(["Key", s("x")], ["key", s("y")]))).toBe("INVALID_VALUE");
    expect(bad(map(["A_B", s("x")], ["a", map(["b", s("y")])]))).toBe("INVALID_VALUE");
    expect(bad(map(["a.b", s("x")], ["a-b", s("y")]))).toBe("INVALID_VALUE");
    const err = (() => {
      try {
        flattenImportTree(map(["ok", s("1")], ["bad key", s("x")]), { source: "f.yaml" });
      } catch (e) {
        return e as LockstepError;
      }
    })();
    expect(err?.line).toBe(2);
    expect(err?.message).toContain('"bad key"');
  });

  test("ids are unique and valid for any tree that flattens", () => {
    const key = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,6}$/);
    const leaf = fc.constantFrom(s("v"), n("1"), b("true"), nul);
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, tie("map")),
      map: fc
        .uniqueArray(fc.tuple(key, tie("node") as fc.Arbitrary<ImportNode>), { selector: ([k]) => k, maxLength: 4 })
        .map((entries) => ({ kind: "map", entries: entries.map(([k, node]) => ({ key: k, node })) }) as ImportNode),
    }));
    fc.assert(
      fc.property(tree.map, (root) => {
        let flat: ReturnType<typeof flattenImportTree>;
        try {
          flat = flattenImportTree(root as ImportMap, { source: "f" });
        } catch (e) {
          expect((e as LockstepError).code).toBe("INVALID_VALUE");
          return;
        }
        const ids = flat.secrets.map((x) => x.path);
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect(id).toMatch(/^[a-z0-9._-]+(\/[a-z0-9._-]+)*$/);
        for (const x of flat.secrets) expect(x.envName).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      }),
    );
  });
});

test("importNodeToJson keeps key order and number digits, and reads back with JSON.parse", () => {
  const node = map(["z", n("1.50")], ["a", list(s('q"uote'), n("-0"), n("1e400"), n(".5"))]);
  const text = importNodeToJson(node);
  expect(text).toBe('{"z":1.50,"a":["q\\"uote",-0,1e400,".5"]}');
  expect(() => JSON.parse(text)).not.toThrow();
});

describe("findEncryptedMark / assertNotEncrypted", () => {
  test("sops values and metadata, and dotenvx values, are found with their key path", () => {
    expect(findEncryptedMark(map(["a", map(["b", s("ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]")])])))?.toMatchObject({
      tool: "sops",
      keys: ["a", "b"],
    });
    expect(findEncryptedMark(map(["sops_mac", s("x")]))).toMatchObject({ tool: "sops", keys: ["sops_mac"] });
    expect(findEncryptedMark(map(["sops", map(["mac", s("x")])]))).toMatchObject({ tool: "sops" });
    expect(findEncryptedMark(map(["K", s("encrypted:BDx")]))).toMatchObject({ tool: "dotenvx", keys: ["K"] });
    expect(findEncryptedMark(map(["l", list(s("ok"), s("encrypted:Q"))]))).toMatchObject({ tool: "dotenvx" });
    expect(findEncryptedMark(map(["sops", s("just a word")], ["x", s("ENC is fine")]))).toBeUndefined();
  });

  test("refuses with INVALID_VALUE and names the --from to use", () => {
    let err: LockstepError | undefined;
    try {
      assertNotEncrypted(map(["x", s("plain")], ["K", s("encrypted:BDx")]), ".env");
    } catch (e) {
      err = e as LockstepError;
    }
    expect(err?.code).toBe("INVALID_VALUE");
    expect(err?.line).toBe(2);
    expect(err?.fix).toContain("--from dotenvx");
    expect(err?.message).not.toContain("BDx");
    expect(() => assertNotEncrypted(map(["x", s("plain")]), ".env")).not.toThrow();
  });
});
