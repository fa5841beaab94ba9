/**
 * lockstep's own package.json, read when asked (`--version`, `init
 * --help`): two folders up from src/cli and dist/cli alike (the action's
 * bundle, one folder down from the root, is built with the path adjusted).
 */
import { readFileSync } from "node:fs";

interface PackageJson {
  version: string;
  repository?: { url?: string } | string;
}

/** The package.json that ships with this lockstep. */
export function packageJson(): PackageJson {
  return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as PackageJson;
}

/**
 * The action reference `init --github` writes by default, by the scheme
 * `OWNER/REPO@vMAJOR`: package.json's GitHub repository, and its major
 * version's release tag.
 */
export function actionReference(pkg: PackageJson = packageJson()): string {
  const url = typeof pkg.repository === "string" ? pkg.repository : (pkg.repository?.url ?? "");
  const repo = /github\.com[/:]([^/]+\/[^/]+?)(?:\.git)?$/.exec(url)?.[1] ?? "OWNER/REPO";
  return `${repo}@v${pkg.version.split(".")[0]}`;
}
