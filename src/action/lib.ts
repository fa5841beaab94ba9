/**
 * What the action takes from lockstep: the library's own entry, as the CLI
 * does. The action's bundle (action/index.cjs) does not carry it:
 * scripts/bundle-action.js points this module at action/lockstep.cjs, the
 * CLI's bundle, which exports it, so the library ships once.
 */
export {
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportToResult,
  githubEnvTexts,
  isLockstepError,
  maskedParts,
  openRepository,
  parseSecretId,
  type Repository,
} from "../index.js";
