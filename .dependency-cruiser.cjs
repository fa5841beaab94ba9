/**
 * The layers of src/ and the one door (docs/architecture.md), checked by
 * `npm run lint` with dependency-cruiser: a rule broken is a lint error.
 */
module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      comment: "src/ has no import cycle (static, dynamic or type-only).",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "one-door",
      comment:
        "src/cli reaches lockstep only through the library's entry, src/index.ts (and src/errors.ts, which the " +
        "entry point needs before any command runs): no storage, crypto, ops or core module, not even for a type.",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: "^src/cli/|^src/(index|errors)\\.ts$" },
    },
    {
      name: "core-does-no-io",
      comment:
        "src/core knows secrets, versions, stages and access rules; it reads and writes nothing. (It may use " +
        "crypto, which does no I/O either: the age-identity generator makes a key.)",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/(cli|ops|rotation|storage|templates)/|^src/(index|repository)\\.ts$" },
    },
    {
      name: "nothing-below-the-cli-reaches-up",
      comment: "Data flows one way: cli -> library (ops) -> core, crypto, storage.",
      severity: "error",
      from: { path: "^src/(core|crypto|ops|rotation|storage|templates)/" },
      to: { path: "^src/cli/|^src/(index|repository)\\.ts$" },
    },
    {
      name: "storage-and-crypto-below-ops",
      severity: "error",
      from: { path: "^src/(crypto|storage)/" },
      to: { path: "^src/ops/" },
    },
    {
      name: "rotation-below-ops",
      comment:
        "src/rotation runs a rotation's steps where a credential lives (hooks, PostgreSQL): use cases call it, " +
        "it knows none of them, nor the repository's files.",
      severity: "error",
      from: { path: "^src/rotation/" },
      to: { path: "^src/(ops|crypto)/|^src/storage/(?!identities\\.ts$)" },
    },
    {
      name: "crypto-below-storage",
      comment: "age knows nothing of files: storage may read keys for it, not the other way round.",
      severity: "error",
      from: { path: "^src/crypto/" },
      to: { path: "^src/storage/" },
    },
    {
      name: "yaml-lives-in-storage",
      comment:
        "Manifests and YAML have one home: storage's yaml-file.ts (reading), manifest-doc.ts and access-doc.ts " +
        "(Document edits); not even a `yaml` type leaves them. core/export-formats.ts is the fidelity branch's, " +
        "which drops its yaml.stringify.",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: "^src/storage/(yaml-file|manifest-doc|access-doc)\\.ts$|^src/core/export-formats\\.ts$",
      },
      to: { path: "node_modules/(yaml|js-yaml)/" },
    },
    {
      name: "age-has-one-entry",
      comment:
        "The age module has one entry, src/crypto/index.ts: key kinds, the fast path and the worker pool stay " +
        "behind it, so adding a key kind changes nothing outside src/crypto.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/crypto/" },
      to: { path: "^src/crypto/", pathNot: "^src/crypto/index\\.ts$" },
    },
    {
      name: "one-git-runner",
      comment:
        "Every process lockstep starts for git goes through storage/git.ts; exec's child and edit's editor are " +
        "the CLI's; a rotation hook's command is rotation/hook.ts's; an age plugin's is crypto/plugin-session.ts's.",
      severity: "error",
      from: {
        path: "^src/",
        pathNot:
          "^src/storage/git\\.ts$|^src/cli/commands/exec\\.ts$|^src/cli/editor\\.ts$|^src/rotation/hook\\.ts$|" +
          "^src/crypto/plugin-session\\.ts$",
      },
      to: { path: "^(node:)?child_process$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
