/**
 * Keeps the lines of a YAML file that an edit did not mean to change, byte
 * for byte. An edit goes through the `yaml` package's Document, and
 * printing a Document writes every line in the package's own style
 * (`[platform]` becomes `[ platform ]`, quotes and indentation change): a
 * one-line change to access.yaml would show as a change of every rule in a
 * pull request. So the edit is printed twice, before and after the change,
 * and only what differs between those two prints is carried into the text
 * as the person wrote it: a three-way merge of lines (node-diff3, the merge
 * of OpenStreetMap's iD editor) with the file as one side and the edited
 * print as the other.
 */
import { diff3Merge, LCS } from "node-diff3";

/**
 * The text of the file after an edit: `original` as it was on disk,
 * `printed` the Document printed before the edit, `edited` after it. Lines
 * of `original` whose printed form the edit left alone stay as they are;
 * the lines the edit changed or added come from `edited`.
 */
export function keepUntouchedLines(original: string, printed: string, edited: string): string {
  if (printed === edited) return original;
  if (original === printed) return edited;
  const a = lines(original);
  const o = lines(printed);
  const b = lines(edited);
  const out: string[] = [];
  for (const region of diff3Merge(a, o, b, { excludeFalseConflicts: true })) {
    if (region.ok) {
      out.push(...region.ok);
      continue;
    }
    const c = region.conflict;
    if (c) out.push(...resolve(c.a, c.o, c.b));
  }
  return out.join("");
}

/**
 * A region where the file's own formatting (`a` against `o`) and the edit
 * (`b` against `o`) touch neighbouring lines. When the file and the print
 * have as many lines there, line i of the print is line i of the file in
 * another style: the edited lines that the print already had are written as
 * the file had them, the rest as the edit printed them. Otherwise the edit's
 * lines win for the region.
 */
function resolve(a: string[], o: string[], b: string[]): string[] {
  if (a.length !== o.length) return b;
  const fromPrint = new Map<number, number>(); // line of b -> line of o it was kept from
  for (let x: ReturnType<typeof LCS> | null = LCS(o, b); x && x.buffer1index >= 0; x = x.chain) {
    fromPrint.set(x.buffer2index, x.buffer1index);
  }
  return b.map((line, i) => {
    const j = fromPrint.get(i);
    return j === undefined ? line : (a[j] as string);
  });
}

/** The lines of a text, each with its line break. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Whether a file writes its flow collections padded (`[ a, b ]`) or not
 * (`[a, b]`), judged by the first non-empty one outside comments;
 * `undefined` when it has none.
 */
export function flowPadding(text: string): boolean | undefined {
  const m = /^[^#\n]*?(?:[:-]\s+|[[{,]\s*)[[{]( ?)[^\]}\s]|^[^#\n]*?:\s+[[{]( ?)[^\]}\s]/m.exec(text);
  if (m === null) return undefined;
  return (m[1] ?? m[2]) === " ";
}
