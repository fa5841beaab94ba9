import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { flowPadding, keepUntouchedLines } from "../../src/storage/keep-lines.js";

/** The print of `text` by the yaml package before and after `edit`, merged back into `text`. */
function edit(text: string, change: (doc: ReturnType<typeof parseDocument>) => void, padding = true): string {
  const doc = parseDocument(text);
  const print = () => doc.toString({ lineWidth: 0, flowCollectionPadding: padding });
  const before = print();
  change(doc);
  return keepUntouchedLines(text, before, print());
}

const ACCESS = `# who reads what
members:
  alice:
    recipients: [age1alice]
  bob:
    recipients: ["age1bob"]     # quoted on purpose
groups:
  platform: [alice]
rules:
  - match: "staging/**"
    readers: [platform]
    approvers:   [platform]
  - match: 'production/**'
    readers: [platform]
`;

describe("keepUntouchedLines", () => {
  it("leaves every line the edit did not change byte for byte (no [ platform ] everywhere)", () => {
    const out = edit(
      ACCESS,
      (doc) => doc.setIn(["members", "carol"], doc.createNode({ recipients: ["age1carol"] })),
      false,
    );
    const added = "  carol:\n    recipients:\n      - age1carol\n";
    expect(out).toBe(ACCESS.replace("groups:\n", `${added}groups:\n`));
    expect(parseDocument(out).toJS().members.carol.recipients).toEqual(["age1carol"]);
  });

  it("changes only the line of a group a member joins, next to lines in another style", () => {
    const out = edit(
      ACCESS,
      (doc) => (doc.getIn(["groups", "platform"], true) as { add(v: unknown): void }).add("bob"),
      false,
    );
    expect(out).toBe(ACCESS.replace("platform: [alice]", "platform: [alice, bob]"));
  });

  it("removes the lines of a deleted member and its mentions, and nothing else", () => {
    const out = edit(ACCESS, (doc) => {
      doc.deleteIn(["members", "bob"]);
    });
    expect(out).toBe(ACCESS.replace('  bob:\n    recipients: ["age1bob"]     # quoted on purpose\n', ""));
  });

  it("gives back the text itself when the edit changes nothing", () => {
    expect(edit(ACCESS, () => {})).toBe(ACCESS);
  });

  it("gives the edited print when the file was already in the printer's style", () => {
    const text = "members:\n  a:\n    recipients: [ k ]\n";
    expect(edit(text, (doc) => doc.setIn(["members", "a", "github"], "gh"))).toBe(
      "members:\n  a:\n    recipients: [ k ]\n    github: gh\n",
    );
  });
});

describe("flowPadding", () => {
  it("reads the style of the first flow collection outside comments", () => {
    expect(flowPadding("# x: [a]\nreaders: [ platform ]\n")).toBe(true);
    expect(flowPadding("readers: [platform]\n")).toBe(false);
    expect(flowPadding("  - { member: a, key: b }\n")).toBe(true);
    expect(flowPadding("members: {}\nrules: []\n# e.g. [platform]\n")).toBeUndefined();
  });
});
