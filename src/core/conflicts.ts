/**
 * Git's conflict markers, left in a file by a merge that stopped: a line
 * starting with seven `<`, `|` (diff3 and zdiff3 styles), `=` or `>`
 * (git's merge-file and `merge.conflictStyle`). A lockstep file holding them
 * is not YAML; saying so, with how to resolve it, beats a parser's complaint.
 */

const MARKER = /^(?:<{7}|\|{7}|={7}|>{7})(?: |$)/;

/** The 1-based line of the first conflict marker in `text`, or `undefined` when it holds none. */
export function conflictMarkerLine(text: string): number | undefined {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => MARKER.test(l.replace(/\r$/, "")));
  return i === -1 ? undefined : i + 1;
}

/** How to resolve a conflict in `file` (a manifest under `secrets/`, or another lockstep file). */
export function conflictFix(file: string): string {
  if (!file.startsWith("secrets/")) {
    return "edit the file to keep what both sides need, remove the <<<<<<<, ======= and >>>>>>> lines, then run `lockstep check`";
  }
  return "keep the versions of both sides, one per number and newest first (a version added on both sides needs a new number, which means re-encrypting it: take one side with `git checkout --ours FILE` or `--theirs FILE`, then add the other side's value again with `lockstep set`), remove the <<<<<<<, ======= and >>>>>>> lines, then run `lockstep check`";
}
