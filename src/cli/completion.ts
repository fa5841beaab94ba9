/**
 * Shell completion. `lockstep completion bash|zsh|fish` prints a small
 * script; on every TAB it runs `lockstep __complete WORDS...` (the words
 * after `lockstep`, the one being completed last), which prints the
 * candidates, one a line, then a directive line: `:words`, or `:files` /
 * `:dirs` for the shell's own path completion. The logic lives here, once
 * for the three shells: commands and subcommands and their flags come from
 * the commander program itself; environments, stages, consumers, members
 * and secret ids from the secrets repository (nothing when there is none).
 */
/** The parts of a commander command and option that completion reads. */
interface Option {
  long?: string | undefined;
  short?: string | undefined;
  required: boolean;
  optional: boolean;
  hidden: boolean;
  argChoices?: readonly string[] | undefined;
}
interface Command {
  name(): string;
  aliases(): string[];
  readonly commands: readonly Command[];
  readonly options: readonly Option[];
  readonly registeredArguments: readonly {
    name(): string;
    variadic: boolean;
    argChoices?: readonly string[] | undefined;
  }[];
}

import type { DynamicKind } from "../index.js";

/** What a word completes to. */
type Kind = DynamicKind | "files" | "dirs" | "none" | { choices: readonly string[] } | DynamicKind[];

/** The shells `completion` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** Candidates and how the shell should treat them. */
export interface Completion {
  words: string[];
  directive: "words" | "files" | "dirs";
}

/** Option values, by the option's long name. */
const OPTION_KINDS: Record<string, Kind> = {
  stage: "stages",
  consumer: "consumers",
  env: "envs",
  group: "groups",
  identity: "files",
  file: "files",
  out: "files",
  output: "files",
  C: "dirs",
};

/** Positional arguments, by the name commander has for them. */
const ARGUMENT_KINDS: Record<string, Kind> = {
  id: "ids",
  ids: "ids",
  old: "ids",
  env: "envs",
  member: "members",
  target: ["ids", "envs"],
  file: "files",
  command: "files",
};

const visible = (c: Command): Command[] => c.commands.filter((s) => !s.name().startsWith("__"));

function optionKind(o: Option): Kind {
  if (o.argChoices) return { choices: o.argChoices };
  const name = (o.long ?? o.short ?? "").replace(/^-+/, "");
  return OPTION_KINDS[name] ?? "none";
}

function findOption(cmds: readonly Command[], word: string): Option | undefined {
  for (const c of cmds) {
    const o = c.options.find((x) => x.long === word || x.short === word);
    if (o) return o;
  }
  return undefined;
}

/**
 * Completes the last of `words` (the words after `lockstep`), asking
 * `list` for what the repository holds.
 */
export async function complete(
  program: Command,
  words: readonly string[],
  list: (kind: DynamicKind) => Promise<string[]>,
): Promise<Completion> {
  const cur = words.at(-1) ?? "";
  let cmd = program;
  let positional = 0;
  let awaiting: Option | undefined;
  let helpFor = false;
  for (const w of words.slice(0, -1)) {
    if (awaiting) {
      awaiting = undefined;
      continue;
    }
    if (w === "--") return { words: [], directive: "files" };
    if (w.startsWith("-")) {
      const o = findOption([cmd, program], w.split("=")[0] as string);
      if (o && (o.required || o.optional) && !w.includes("=")) awaiting = o;
      continue;
    }
    const sub = positional === 0 ? visible(cmd).find((s) => s.name() === w || s.aliases().includes(w)) : undefined;
    if (cmd === program && !helpFor && positional === 0 && w === "help") helpFor = true;
    else if (sub && !helpFor) cmd = sub;
    else positional++;
  }
  const offer = async (kind: Kind): Promise<Completion> => {
    if (kind === "files" || kind === "dirs") return { words: [], directive: kind };
    if (kind === "none") return { words: [], directive: "words" };
    const all = Array.isArray(kind)
      ? (await Promise.all(kind.map(list))).flat()
      : typeof kind === "string"
        ? await list(kind)
        : [...kind.choices];
    return { words: all.filter((x) => x.startsWith(cur)), directive: "words" };
  };
  if (awaiting) return offer(optionKind(awaiting));
  if (helpFor) return positional === 0 ? offer({ choices: visible(program).map((c) => c.name()) }) : offer("none");
  if (cur.startsWith("-")) {
    const scope = cmd === program ? [program] : [cmd, program];
    const flags = scope.flatMap((c) => c.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short]));
    return offer({ choices: [...new Set([...flags.filter((f): f is string => f !== undefined), "--help"])] });
  }
  const subs = visible(cmd);
  if (subs.length > 0 && positional === 0) {
    return offer({ choices: subs.map((c) => c.name()) });
  }
  const args = cmd.registeredArguments;
  const arg = args[positional] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
  if (!arg) return offer("none");
  if (arg.argChoices) return offer({ choices: arg.argChoices });
  return offer(ARGUMENT_KINDS[arg.name()] ?? "none");
}

/** What `__complete` prints: the candidates, then the directive line. */
export function formatCompletion(c: Completion): string {
  return `${c.words.map((w) => `${w}\n`).join("")}:${c.directive}\n`;
}

const BASH = `# lockstep completion for bash. Load it with: source <(lockstep completion bash)
_lockstep() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out directive
  out=$(lockstep __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  directive=\${out##*$'\\n'}
  if [[ $out == *$'\\n'* ]]; then out=\${out%$'\\n'*}; else out=""; fi
  COMPREPLY=()
  case $directive in
    :files) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    :dirs) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    *) if [[ -n $out ]]; then mapfile -t COMPREPLY <<< "$out"; fi ;;
  esac
}
complete -o filenames -F _lockstep lockstep
`;

const ZSH = `#compdef lockstep
# lockstep completion for zsh. Load it with: source <(lockstep completion zsh)
# (after compinit), or save it as _lockstep in a folder of $fpath.
_lockstep() {
  local out directive
  local -a lines
  out=$(lockstep __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]}
  lines=("\${(@)lines[1,-2]}")
  case $directive in
    :files) _files ;;
    :dirs) _files -/ ;;
    *) compadd -- "\${lines[@]}" ;;
  esac
}
if [ "$funcstack[1]" = "_lockstep" ]; then
  _lockstep "$@"
else
  compdef _lockstep lockstep
fi
`;

const FISH = `# lockstep completion for fish. Save it as ~/.config/fish/completions/lockstep.fish
function __lockstep_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l out (lockstep __complete $words 2>/dev/null)
    or return
    set -l directive $out[-1]
    set -e out[-1]
    switch $directive
        case :files
            __fish_complete_path (commandline -ct)
        case :dirs
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\\n' $out
    end
end
complete -c lockstep -f -a '(__lockstep_complete)'
`;

/** The completion script for a shell. */
export function completionScript(shell: Shell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}
