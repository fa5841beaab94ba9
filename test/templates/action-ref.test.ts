/** The action reference that workflows get follows package.json: its repository, and the major tag of its version. */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ACTION_MAJOR_TAG, ACTION_REPOSITORY, DEFAULT_ACTION } from "../../src/templates/action-ref.js";

const pkg = JSON.parse(await readFile(join(resolve(import.meta.dirname, "../.."), "package.json"), "utf8")) as {
  version: string;
  repository: { url: string };
};

describe("the action reference scheme", () => {
  it("OWNER/REPO is package.json's repository on GitHub", () => {
    expect(pkg.repository.url).toBe(`git+https://github.com/${ACTION_REPOSITORY}.git`);
  });

  it("the tag is v and the major version of package.json", () => {
    expect(ACTION_MAJOR_TAG).toBe(`v${pkg.version.split(".")[0]}`);
    expect(DEFAULT_ACTION).toBe(`${ACTION_REPOSITORY}@${ACTION_MAJOR_TAG}`);
  });
});
