/**
 * What the action takes from lockstep's library. The action's bundle
 * (action/index.cjs) does not carry it: scripts/bundle-action.js points
 * this module at action/lockstep.cjs, the CLI's bundle, which exports it,
 * so the library ships once.
 */
export { EXPORT_FORMATS, type ExportFormat, renderText } from "../core/export-formats.js";
export { isSecretId } from "../core/ids.js";
export { isLockstepError } from "../errors.js";
export { type ExportResult, exportEnvironment } from "../ops/export.js";
export { openRepository, type Repository } from "../repository.js";
export { assertOutsideWorkTree, writePlaintextFile, writePlaintextFiles } from "../storage/plaintext.js";
