/**
 * Where generated workflows find the lockstep action. The scheme:
 * `OWNER/REPO@vMAJOR`, where OWNER/REPO is the GitHub repository of
 * package.json's `repository` (action.yml is at its root) and vMAJOR is the
 * major release tag, which the release workflow moves to each release of
 * that major version (`v0` for 0.x). `init --github --action REF` writes
 * another reference (a fork, a full tag such as `v0.1.0`, or a commit SHA).
 * A unit test holds these constants to package.json.
 */

/** The GitHub repository that holds the action (from package.json `repository`). */
export const ACTION_REPOSITORY = "lockstep-dev/lockstep";

/** The major release tag of this version (from package.json `version`). */
export const ACTION_MAJOR_TAG = "v0";

/** The reference written into workflows by default. */
export const DEFAULT_ACTION = `${ACTION_REPOSITORY}@${ACTION_MAJOR_TAG}`;
