import { describe, expect, it } from "vitest";
import type { FileFormatError } from "../../src/errors.js";
import { documentOf, parseYamlFile, stringifyDocument } from "../../src/storage/yaml-file.js";

async function failure(text: string, schema: "lockstep" | "access" | "secret"): Promise<FileFormatError> {
  try {
    await parseYamlFile(text, "some.yaml", schema);
  } catch (e) {
    return e as FileFormatError;
  }
  throw new Error("expected a failure");
}

describe("parseYamlFile", () => {
  it("names file and line of a YAML syntax error", async () => {
    const e = await failure("environments:\n  staging:\n    stages: [\n", "lockstep");
    expect(e.code).toBe("YAML_INVALID");
    expect(e.file).toBe("some.yaml");
    expect(e.message).toMatch(/^some\.yaml:\d+: not valid YAML/);
  });

  it("names the line of the offending key for a schema violation", async () => {
    const text = [
      "environments:",
      "  staging:",
      "    stages:",
      "      - name: stable",
      "        consumer: [api]",
      "",
    ].join("\n");
    const e = await failure(text, "lockstep");
    expect(e.code).toBe("SCHEMA_INVALID");
    expect(e.line).toBe(5);
    expect(e.message).toContain('some.yaml:5: environments.staging.stages.0 has an unknown key "consumer"');
  });

  it("reports a missing required key at its parent", async () => {
    const e = await failure("members:\n  alice:\n    github: alice\n", "access");
    expect(e.line).toBe(2);
    expect(e.message).toContain('missing the required key "recipients"');
  });

  it("reports a wrong type where the value is", async () => {
    const e = await failure("members: {}\nrules:\n  - match: x\n    readers: platform\n", "access");
    expect(e.line).toBe(4);
    expect(e.message).toContain("rules.0.readers must be array");
  });

  it("keeps comments and key order when a document is edited and written", async () => {
    const text =
      "# top comment\nmembers:\n  # bob first on purpose\n  bob:\n    recipients: [age1x]\n  alice:\n    recipients: [age1y] # trailing\n";
    const doc = await documentOf(await parseYamlFile(text, "access.yaml", "access"));
    doc.setIn(["members", "alice", "github"], "alice-gh");
    const out = stringifyDocument(doc);
    expect(out).toContain("# top comment");
    expect(out).toContain("# bob first on purpose");
    expect(out).toContain("# trailing");
    expect(out.indexOf("bob:")).toBeLessThan(out.indexOf("alice:"));
    expect(out).toContain("github: alice-gh");
  });
});
