#!/usr/bin/env bash
# Property-based fuzzing of the REST API against its own OpenAPI document (schemathesis): a real `glimpse serve`
# on a fresh data dir with one preview, every operation, authenticated with an admin token, bounded in time.
# Fails on any 5xx and on any answer that does not conform to the document (status, content type, headers,
# body schema). Usage: .ci/api-fuzz.sh [path/to/schemathesis]  (default: ~/.cache/glimpse/venv/bin/schemathesis)
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMATHESIS="${1:-${HOME}/.cache/glimpse/venv/bin/schemathesis}"
NODE=node_modules/.bin/node
MAX_SECONDS="${GLIMPSE_FUZZ_SECONDS:-100}"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port="$(free_port)"
proxy_port="$(free_port)"
export GLIMPSE_DATA_DIR="$work/data" GLIMPSE_PORT="$port" GLIMPSE_PROXY_PORT="$proxy_port" \
  GLIMPSE_ALLOW_FILE_REPOS=1 GLIMPSE_API_RATE_LIMIT=0 LOG_LEVEL=warn
unset DATABASE_URL
url="http://127.0.0.1:$port"

"$NODE" src/cli/main.ts serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  "$NODE" -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$url/readyz" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "api-fuzz: the server did not start" >&2; exit 1; }
  sleep 0.5
done
"$NODE" -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url/readyz" ||
  { cat "$work/server.log"; echo "api-fuzz: the server is not ready after 60 s" >&2; exit 1; }

# One preview, so lists and reads answer with real environments.
repo="$work/app"
mkdir -p "$repo" && git -C "$repo" init -q -b main
printf 'local:\n  start: node -e "require(\\"http\\").createServer((q,s)=>s.end(\\"ok\\")).listen(process.env.PORT)"\n' \
  >"$repo/.glimpse.yml"
git -C "$repo" add -A && git -C "$repo" -c user.name=ci -c user.email=ci@localhost commit -qm app
"$NODE" src/cli/main.ts simulate pull-request opened --repo "$repo" --number 1 --no-wait >/dev/null

# The bootstrap "admin" user may be made just after the server listens: try for a few seconds.
token=""
for _ in $(seq 1 20); do
  if created="$("$NODE" src/cli/main.ts tokens create admin --name api-fuzz --json 2>/dev/null)"; then
    token="$("$NODE" -e 'console.log(JSON.parse(process.argv[1]).token)' "$created")"
    break
  fi
  sleep 0.5
done
[[ -n "$token" ]] || { echo "api-fuzz: could not create a token for admin" >&2; exit 1; }

status=0
# From the scratch dir: schemathesis keeps its example database in .schemathesis/ of the working directory.
schemathesis="$(cd "$(dirname "$SCHEMATHESIS")" && pwd)/$(basename "$SCHEMATHESIS")"
cd "$work"
"$schemathesis" run "$url/api/v1/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples 60 \
  --max-time "$MAX_SECONDS" \
  --request-timeout 10 \
  --seed 13 \
  --workers 2 \
  --suppress-health-check all \
  --warnings off || status=$?
if [[ "$status" -ne 0 ]]; then
  echo "== server log (last 60 lines)"
  tail -n 60 "$work/server.log"
fi
exit "$status"
