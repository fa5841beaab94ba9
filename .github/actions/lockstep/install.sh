#!/usr/bin/env bash
# Builds lockstep from the action's own checkout and puts `lockstep` on PATH.
set -euo pipefail
root="$(cd "$GITHUB_ACTION_PATH/../../.." && pwd)"
if [ ! -f "$root/dist/cli/main.cjs" ]; then
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
fi
bin="${RUNNER_TEMP:-/tmp}/lockstep-bin"
mkdir -p "$bin"
printf '#!/usr/bin/env bash\nexec node "%s/dist/cli/main.cjs" "$@"\n' "$root" > "$bin/lockstep"
chmod +x "$bin/lockstep"
echo "$bin" >> "$GITHUB_PATH"
