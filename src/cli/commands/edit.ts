/** `lockstep edit`: a secret's newest value in $VISUAL or $EDITOR. */
import { openRepo } from "../context.js";
import { askYesNo, runEditor } from "../editor.js";
import { note, out } from "../output.js";
import type { ArgsOf, commands, OptionsOf } from "../program.js";
import { describeEdit } from "../render/lifecycle.js";
import { stagePolicy } from "./set.js";

type Edit = typeof commands.edit;

/** Decrypts into a private file, runs the editor, and adds a version if the value changed. */
export async function edit([id]: ArgsOf<Edit>, o: OptionsOf<Edit>): Promise<void> {
  const policy = stagePolicy(o);
  const repo = await openRepo(o);
  const r = await repo.edit(id, {
    editor: (file) => runEditor(file),
    retry: async (problem) => {
      note(`error: ${problem.message}`);
      return askYesNo("Open the editor again? [Y/n] (n: quit, nothing written) ");
    },
    ...(policy !== undefined && { stages: policy }),
    ...(o.commit && { commit: true }),
  });
  out(describeEdit(r));
}
