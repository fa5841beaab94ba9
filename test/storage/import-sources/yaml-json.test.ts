import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { ImportNode } from "../../../src/core/import-tree.js";
import { readJsonTree, readYamlDocuments, readYamlTree } from "../../../src/storage/import-sources/yaml-json.js";
import { codeOf } from "../../support/errors.js";

/** A tree as data: scalars as "type:text". */
function plain(node: ImportNode): unknown {
  if (node.kind === "scalar") return `${node.type}:${node.text}`;
  if (node.kind === "list") return node.items.map(plain);
  return node.entries.map((e) => [e.key, plain(e.node)]);
}

describe("readYamlTree", () => {
  test("keeps order, nesting, and every scalar's text as written", async () => {
    const text = [
      "b: 1.50",
      "a:",
      "  port: 5432",
      "  hex: 0x1F",
      "  on: true",
      "  yes_word: yes",
      '  quoted: "007"',
      "  single: 'it''s'",
      "  none: ~",
      "  empty:",
      "  block: |",
      "    line 1",
      "    line 2",
      "  list: [x, 2, {k: v}]",
      "c: 12345678901234567890",
      "",
    ].join("\n");
    const tree = await readYamlTree(text, "f.yaml");
    expect(plain(tree)).toEqual([
      ["b", "number:1.50"],
      [
        "a",
        [
          ["port", "number:5432"],
          ["hex", "number:0x1F"],
          ["on", "boolean:true"],
          ["yes_word", "string:yes"],
          ["quoted", "string:007"],
          ["single", "string:it's"],
          ["none", "null:"],
          ["empty", "null:"],
          ["block", "string:line 1\nline 2\n"],
          ["list", ["string:x", "number:2", [["k", "string:v"]]]],
        ],
      ],
      ["c", "number:12345678901234567890"],
    ]);
    expect(tree.entries.map((e) => e.line)).toEqual([1, 2, 15]);
  });

  test("aliases are followed; plain scalars are marked plain", async () => {
    const tree = await readYamlTree("base: &b {user: u}\ncopy: *b\nq: 'x'\np: x\n", "f.yaml");
    expect(plain(tree)).toEqual([
      ["base", [["user", "string:u"]]],
      ["copy", [["user", "string:u"]]],
      ["q", "string:x"],
      ["p", "string:x"],
    ]);
    const [, , q, p] = tree.entries;
    expect(q?.node).not.toHaveProperty("plain");
    expect(p?.node).toHaveProperty("plain", true);
  });

  test("an empty file is an empty map; bad input is INVALID_VALUE with its line", async () => {
    expect((await readYamlTree("", "f.yaml")).entries).toEqual([]);
    expect((await readYamlTree("# only a comment\n", "f.yaml")).entries).toEqual([]);
    for (const bad of [
      "- a\n- b\n",
      "just text\n",
      "a: 1\na: 2\n",
      "a: [\n",
      "a: 1\n---\nb: 2\n",
      "<<: {a: 1}\n",
      "? [a]\n: x\n",
    ]) {
      expect(await codeOf(readYamlTree(bad, "f.yaml")), bad).toBe("INVALID_VALUE");
    }
    const err = await readYamlTree("a: 1\nb: [\n", "f.yaml").catch((e) => e);
    expect(err.file).toBe("f.yaml");
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect((await readYamlDocuments("a: 1\n---\nb: 2\n", "f.yaml")).length).toBe(2);
  });
});

describe("readJsonTree", () => {
  test("keeps file order (integer-like keys too) and number digits", async () => {
    const tree = await readJsonTree(
      '{\n\t"b": 1.50, "10": "x", "a": {"big": 12345678901234567890, "e": 1E+3, "t": true, "n": null}\n}',
      "f.json",
    );
    expect(plain(tree)).toEqual([
      ["b", "number:1.50"],
      ["10", "string:x"],
      [
        "a",
        [
          ["big", "number:12345678901234567890"],
          ["e", "number:1E+3"],
          ["t", "boolean:true"],
          ["n", "null:"],
        ],
      ],
    ]);
  });

  test("only strict JSON, an object at the top, each key once", async () => {
    for (const bad of [
      '{"a": 1,}',
      "{'a': 1}",
      '{"a": "line\nbreak"}',
      "[1, 2]",
      '"x"',
      '{"a": 1, "a": 2}',
      "{a: 1}",
    ]) {
      expect(await codeOf(readJsonTree(bad, "f.json")), bad).toBe("INVALID_VALUE");
    }
  });

  test("reads every JSON object as JSON.parse does, strings and numbers alike", async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (obj) => {
        const text = JSON.stringify(obj, null, 1);
        const tree = await readJsonTree(text, "f.json");
        const back = (node: ImportNode): unknown => {
          if (node.kind === "scalar") {
            if (node.type === "null") return null;
            if (node.type === "boolean") return node.text === "true";
            if (node.type === "number") return Number(node.text);
            return node.text;
          }
          if (node.kind === "list") return node.items.map(back);
          return Object.fromEntries(node.entries.map((e) => [e.key, back(e.node)]));
        };
        expect(back(tree)).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });
});
