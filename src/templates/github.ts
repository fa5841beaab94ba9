/**
 * GitHub Actions workflows that `lockstep init --github` writes into a
 * secrets repository: the pull-request gate, staged deploys and a manual
 * promote/rollback.
 */
import type { ProjectConfig } from "../core/model.js";

/** Where workflows find the lockstep action (`owner/repo/.github/actions/lockstep@ref`). */
export const DEFAULT_ACTION = "lockstep-dev/lockstep/.github/actions/lockstep@v0";

const INSTALL = (action: string) => `      - uses: ${action}
        id: lockstep-install
        with:
          # Installs lockstep only: no key, nothing exported.
          install-only: "true"`;

/** The pull-request gate: `check --format github`, and a `diff` in the step summary. */
export function checkWorkflow(action: string): string {
  return `# Written by lockstep init --github. Runs the lockstep gate on every pull request.
name: lockstep check
on:
  pull_request:
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
${INSTALL(action)}
      - name: Check access lists, schemas, stages and leaks (no key needed)
        run: lockstep check --format github
      - name: Summarize what the pull request changes
        if: always()
        run: lockstep diff "origin/\${{ github.base_ref }}" --format markdown >> "$GITHUB_STEP_SUMMARY"
`;
}

function jobName(env: string, stage: string): string {
  return `${env}-${stage}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/**
 * Staged deploys on push to main: per environment, one job per stage in
 * rollout order, each behind the GitHub Environment of the same name (give
 * the later ones required reviewers in the repository's settings).
 */
export function deployWorkflow(config: ProjectConfig, action: string): string {
  const jobs = Object.entries(config.environments).flatMap(([env, e]) =>
    e.stages.map((stage, i) => {
      const previous = i > 0 ? e.stages[i - 1] : undefined;
      const keySecret = `LOCKSTEP_AGE_KEY_${env.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
      return `  ${jobName(env, stage.name)}:
    runs-on: ubuntu-latest
${previous ? `    needs: ${jobName(env, previous.name)}\n` : ""}    environment: ${jobName(env, stage.name)}
    steps:
      - uses: actions/checkout@v4
      - uses: ${action}
        with:
          age-key: \${{ secrets.${keySecret} }}
          environment: ${env}
          stage: ${stage.name}
      - name: Deploy ${(stage.consumers ?? []).join(", ") || `the ${stage.name} consumers`}
        run: echo "Deploy here; the ${env} secrets of stage ${stage.name} are in this job's environment, masked."`;
    }),
  );
  return `# Written by lockstep init --github. Publishes each stage's secrets on push to main.
# Each job runs in the GitHub Environment named after it: protect the later stages
# with required reviewers, and store each environment's CI key as a secret.
name: lockstep deploy
on:
  push:
    branches: [main]
    paths: ["secrets/**", "lockstep.yaml", "access.yaml"]
permissions:
  contents: read
jobs:
${jobs.join("\n")}
`;
}

/** A manual workflow that promotes or rolls back and commits the change. */
export function rolloutWorkflow(action: string): string {
  return `# Written by lockstep init --github. Promote or roll back from the Actions tab; the change is a commit.
name: lockstep rollout
on:
  workflow_dispatch:
    inputs:
      command:
        description: promote or rollback
        type: choice
        options: [promote, rollback]
      secret:
        description: Secret id (e.g. production/db/password); for promote, or ENV to promote a whole environment
        required: true
      stage:
        description: Stage to move (optional)
        required: false
      to:
        description: Version to roll back to (optional)
        required: false
permissions:
  contents: write
jobs:
  rollout:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
${INSTALL(action)}
      - name: Move the stage and commit
        env:
          COMMAND: \${{ inputs.command }}
          SECRET: \${{ inputs.secret }}
          STAGE: \${{ inputs.stage }}
          TO: \${{ inputs.to }}
        run: |
          git config user.name "\${{ github.actor }}"
          git config user.email "\${{ github.actor_id }}+\${{ github.actor }}@users.noreply.github.com"
          args=("$COMMAND")
          if [ "$COMMAND" = promote ] && [[ "$SECRET" != */* ]]; then args+=(--env "$SECRET" --all); else args+=("$SECRET"); fi
          [ -n "$STAGE" ] && args+=(--stage "$STAGE")
          [ -n "$TO" ] && args+=(--to "$TO")
          lockstep "\${args[@]}" --commit
          git push
`;
}
