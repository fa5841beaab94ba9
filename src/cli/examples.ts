/**
 * The examples that end each command's `--help`, by command path
 * (`member add`). Each is a command line as a user types it, with the ids
 * of the README's Quick start.
 */

/** Command path -> example command lines (without the `$ `). */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  "": [
    "lockstep init && lockstep member add alice --key age1... --group platform",
    "echo -n 's3cret' | lockstep set production/db/password",
    "lockstep get production/db/password",
    "lockstep help promote",
  ],
  keygen: ["lockstep keygen -o ~/.config/lockstep/identity.txt", "lockstep keygen --pq -o ci-production.txt"],
  init: ["lockstep init", "lockstep init --env staging --env production", "lockstep init --github"],
  member: ["lockstep member add alice --key age1... --group platform", "lockstep member ls", "lockstep member rm bob"],
  "member add": [
    "lockstep member add alice --key age1... --github alice-gh --group platform",
    "lockstep member add ci-production --key age1...",
    "lockstep member add carol --key age1... --group platform --rekey",
  ],
  "member ls": ["lockstep member ls", "lockstep member ls --json"],
  "member rm": ["lockstep member rm bob && lockstep rekey", "lockstep member rm bob --commit"],
  rule: [
    'lockstep rule add "production/**" --readers platform,ci-production --approvers platform',
    "lockstep rule ls production/db/password",
  ],
  "rule add": [
    'lockstep rule add "production/**" --readers platform,ci-production --approvers platform',
    'lockstep rule add "production/db/*" --readers bob --commit && lockstep rekey --commit',
  ],
  "rule rm": ['lockstep rule rm "staging/**"', 'lockstep rule rm "production/**" --readers bob'],
  "rule ls": ["lockstep rule ls", "lockstep rule ls production/db/password", "lockstep rule ls --json"],
  set: [
    "echo -n 's3cret' | lockstep set production/db/password --description 'Primary Postgres password'",
    "lockstep set production/api/token --generate hex:32",
    "lockstep set production/tls/cert --file cert.pem --all-stages",
    "lockstep set production/api/token --generate hex:32 --commit",
    "lockstep set production/api/token --keep-value --consumers api,worker --max-age 30d",
  ],
  get: [
    "lockstep get production/db/password",
    "lockstep get production/db/password --stage stable",
    "lockstep get production/db/password --version 3",
    "lockstep get secrets/production/db/password.yaml   # a manifest's path stands for its id",
  ],
  edit: ["lockstep edit production/db/password", "EDITOR='code --wait' lockstep edit production/app/config --no-stage"],
  mv: ["lockstep mv production/redis_url production/cache/url --commit"],
  rm: ["lockstep rm production/old/token --commit", "lockstep rm production/old/token --force"],
  restore: ["lockstep restore production/old/token", "lockstep restore production/old/token --from HEAD~3"],
  prune: ["lockstep prune production/db/password --keep 3", "lockstep prune production/db/password --keep 0 --commit"],
  "setup-git": ["lockstep setup-git"],
  "merge-driver": ["git config merge.lockstep.driver 'lockstep merge-driver %O %A %B %P'   # what setup-git writes"],
  resolve: ["lockstep resolve production/db/password && git rebase --continue"],
  rotate: [
    "lockstep rotate production/api/token",
    "lockstep rotate production/db/password --generate password:32",
    "lockstep rotate production/db/password --finish",
  ],
  ls: ["lockstep ls", "lockstep ls production --json"],
  show: ["lockstep show production/db/password", "lockstep show production/db/password --json"],
  import: ["lockstep import production .env", "lockstep import staging config.json --format json --prefix app"],
  rekey: ["lockstep rekey", "lockstep rekey production/db/password", "lockstep rekey --commit"],
  check: ["lockstep check", "lockstep check --format github", "lockstep check --decrypt"],
  diff: ["lockstep diff", "lockstep diff origin/main --format markdown"],
  exposure: ["lockstep exposure bob"],
  audit: [
    "lockstep audit production/db/password",
    "lockstep audit production --since 2026-11-01 --kind rotated,promoted",
    "lockstep audit --require-signed",
  ],
  codeowners: ["lockstep codeowners", "lockstep codeowners --write", "lockstep codeowners --check"],
  promote: [
    "lockstep promote production/db/password --commit",
    "lockstep promote production/db/password --stage stable",
    "lockstep promote --env production --all",
  ],
  rollback: ["lockstep rollback production/db/password --commit", "lockstep rollback production/db/password --to 3"],
  status: ["lockstep status", "lockstep status production --json", "lockstep status production --format markdown"],
  export: [
    "lockstep export production --stage canary",
    "lockstep export production --consumer api --format k8s --name api-secrets",
    "lockstep export production --format files --out /run/secrets",
  ],
  exec: ["lockstep exec production --consumer api -- node server.js"],
  completion: [
    "source <(lockstep completion bash)            # in ~/.bashrc",
    "source <(lockstep completion zsh)             # in ~/.zshrc",
    "lockstep completion fish > ~/.config/fish/completions/lockstep.fish",
  ],
  help: ["lockstep help", "lockstep help export"],
};

/** The `Examples:` block for a command path, or "" if it has none. */
export function examplesHelp(path: string): string {
  const list = EXAMPLES[path];
  if (!list || list.length === 0) return "";
  return `\nExamples:\n${list.map((e) => `  $ ${e}`).join("\n")}`;
}
