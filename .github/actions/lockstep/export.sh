#!/usr/bin/env bash
# Exports one environment's stage with lockstep; the key comes in LOCKSTEP_AGE_KEY.
set -euo pipefail
if [ -z "${LOCKSTEP_AGE_KEY:-}" ] || [ -z "${LOCKSTEP_ENVIRONMENT:-}" ]; then
  echo "::error::the lockstep action needs the age-key and environment inputs (or install-only: true)" >&2
  exit 2
fi
format="${LOCKSTEP_FORMAT:-github}"
if [ "$format" != github ] && [ -z "${LOCKSTEP_OUT:-}" ]; then
  echo "::error::format $format needs the 'out' input: values must not go to the job log" >&2
  exit 2
fi
lockstep="${LOCKSTEP_BIN:-${RUNNER_TEMP:-/tmp}/lockstep-bin/lockstep}"
args=(export "$LOCKSTEP_ENVIRONMENT" --format "$format")
[ -n "${LOCKSTEP_STAGE:-}" ] && args+=(--stage "$LOCKSTEP_STAGE")
[ -n "${LOCKSTEP_CONSUMER:-}" ] && args+=(--consumer "$LOCKSTEP_CONSUMER")
[ -n "${LOCKSTEP_OUT:-}" ] && args+=(--out "$LOCKSTEP_OUT")
exec "$lockstep" "${args[@]}"
