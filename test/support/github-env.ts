/**
 * Test support: the GitHub Actions runner's rules for file commands and
 * masking, ported from github.com/actions/runner (read at commit
 * 258d6c857db3519913f7deb6004b60172f8043ae) so that tests can read
 * lockstep's `github` output as the runner would.
 *
 * - {@link readGithubEnv}: src/Runner.Worker/FileCommandManager.cs,
 *   `EnvFileKeyValuePairs` (Linux: lines end at LF) and `SetEnvFileCommand`
 *   (`_setEnvBlockList`).
 * - {@link parseWorkflowCommand}: src/Runner.Common/ActionCommand.cs,
 *   `TryParseV2` and `UnescapeData`.
 * - {@link SecretMasker}: src/Runner.Worker/ActionCommandManager.cs,
 *   `AddMaskCommandExtension`, and src/Sdk/DTLogging/Logging/SecretMasker.cs
 *   (`AddValue`, `MaskSecrets`: each occurrence of a secret in a line is
 *   replaced by `***`).
 * - {@link logLines}: src/Runner.Sdk/ProcessInvoker.cs reads a step's output
 *   with .NET `StreamReader.ReadLine`, which ends a line at CR, LF or CRLF.
 */

/** What the runner makes of a `$GITHUB_ENV` file. */
export interface GithubEnvResult {
  /** The variables set, in order. */
  env: Record<string, string>;
  /** Names it refused with an error annotation (`Can't store NODE_OPTIONS ...`), and did not set. */
  refused: string[];
}

const BLOCKED = ["NODE_OPTIONS"];

/** `string.IsNullOrWhiteSpace`: .NET's `Char.IsWhiteSpace` is Zs, Zl, Zp, U+0009..U+000D and U+0085. */
const DOTNET_WHITE_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** `ReadLine(text, ref index, out newline)` on Linux: the line, and the newline that ended it (null at the end). */
function readLine(text: string, at: { index: number }): { line: string; newline: string | null } | null {
  if (at.index >= text.length) return null;
  const start = at.index;
  const lf = text.indexOf("\n", at.index);
  if (lf < 0) {
    at.index = text.length;
    return { line: text.slice(start), newline: null };
  }
  at.index = lf + 1;
  return { line: text.slice(start, lf), newline: "\n" };
}

/**
 * Reads `$GITHUB_ENV` as `SetEnvFileCommand.ProcessCommand` does.
 * @throws Error with the runner's message where the runner fails the file
 *   (`Invalid format`, `Matching delimiter not found`, `EOF marker missing new line`).
 */
export function processGithubEnv(text: string): GithubEnvResult {
  const env: Record<string, string> = {};
  const refused: string[] = [];
  const at = { index: 0 };
  for (let l = readLine(text, at); l !== null; l = readLine(text, at)) {
    const line = l.line;
    if (line === "") continue;
    let key: string;
    let output: string;
    const equalsIndex = line.indexOf("=");
    const heredocIndex = line.indexOf("<<");
    if (equalsIndex >= 0 && (heredocIndex < 0 || equalsIndex < heredocIndex)) {
      key = line.slice(0, equalsIndex);
      output = line.slice(equalsIndex + 1);
    } else if (heredocIndex >= 0 && (equalsIndex < 0 || heredocIndex < equalsIndex)) {
      key = line.slice(0, heredocIndex);
      const delimiter = line.slice(heredocIndex + 2);
      if (key === "" || delimiter === "") {
        throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      }
      const startIndex = at.index;
      let endIndex = at.index;
      let temp = readLine(text, at);
      while (temp?.line !== delimiter) {
        if (temp === null) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
        if (temp.newline === null) throw new Error("Invalid value. EOF marker missing new line.");
        endIndex = at.index - temp.newline.length;
        temp = readLine(text, at);
      }
      output = endIndex > startIndex ? text.slice(startIndex, endIndex) : "";
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
    if (BLOCKED.some((b) => b.toLowerCase() === key.toLowerCase())) {
      refused.push(key);
      continue;
    }
    env[key] = output;
  }
  return { env, refused };
}

/** The variables the runner sets from a `$GITHUB_ENV` file (see {@link processGithubEnv}). */
export function readGithubEnv(text: string): Record<string, string> {
  return processGithubEnv(text).env;
}

/** A workflow command, as `ActionCommand.TryParseV2` reads a line (`::name props::data`). */
export interface WorkflowCommand {
  command: string;
  data: string;
}

/** `TryParseV2` for commands without properties, or `undefined` for a line that is none. */
export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  const message = line.trimStart();
  if (!message.startsWith("::")) return undefined;
  const end = message.indexOf("::", 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(" ");
  const command = space < 0 ? info : info.slice(0, space);
  // UnescapeData: each mapping in order, CR, LF, then %.
  const data = message
    .slice(end + 2)
    .replaceAll("%0D", "\r")
    .replaceAll("%0A", "\n")
    .replaceAll("%25", "%");
  return { command, data };
}

/** A step's output as the runner's log lines (`StreamReader.ReadLine`: CR, LF and CRLF end a line). */
export function logLines(output: string): string[] {
  const lines = output.split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The runner's secret masker, fed by `::add-mask::` commands. */
export class SecretMasker {
  private readonly secrets = new Set<string>();

  /**
   * @param splitMultiline whether `add-mask` also adds each line of a value
   *   (what the runner at the commit above does; runners before it add only
   *   the whole value, and lockstep must mask for those too).
   */
  constructor(private readonly splitMultiline = false) {}

  /** Processes a step's stdout: every `::add-mask::` line adds its data (if not white space). */
  processOutput(output: string): void {
    for (const line of logLines(output)) {
      const c = parseWorkflowCommand(line);
      if (c?.command !== "add-mask" || DOTNET_WHITE_SPACE.test(c.data)) continue;
      this.secrets.add(c.data);
      if (this.splitMultiline) {
        // StringSplitOptions.RemoveEmptyEntries | TrimEntries: .NET's Trim, the white space above.
        for (const part of c.data.split(/[\r\n]/)) {
          const trimmed = part.replace(
            /^[\t\v\f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\v\f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
            "",
          );
          if (trimmed !== "") this.secrets.add(trimmed);
        }
      }
    }
  }

  /** `MaskSecrets`: every occurrence of every secret in `line` becomes `***` (overlaps merged). */
  mask(line: string): string {
    const hidden = new Array<boolean>(line.length).fill(false);
    for (const s of this.secrets) {
      for (let i = line.indexOf(s); i >= 0; i = line.indexOf(s, i + 1)) hidden.fill(true, i, i + s.length);
    }
    let out = "";
    for (let i = 0; i < line.length; i++) {
      if (!hidden[i]) out += line[i];
      else if (i === 0 || !hidden[i - 1]) out += "***";
    }
    return out;
  }
}
