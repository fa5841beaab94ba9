/** Test support: reading files the way GitHub's runner does. */

/** $GITHUB_ENV as the Actions runner reads it (SetEnvFileCommand): NAME=value, or NAME<<DELIM ... DELIM. */
export function readGithubEnv(text: string): Record<string, string> {
  const lines = text.split("\n");
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    const name = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    const body: string[] = [];
    for (i++; ; i++) {
      if (i >= lines.length) throw new Error(`unterminated heredoc for ${name}`);
      if (lines[i] === delimiter) break;
      body.push(lines[i] as string);
    }
    out[name] = body.join("\n");
  }
  return out;
}
