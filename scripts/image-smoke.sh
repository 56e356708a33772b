#!/usr/bin/env bash
# Starts Keel's image as an operator would and checks it end to end:
#   read-only root filesystem, one volume for /data, non-root user, /health/live and
#   /health/ready, the HEALTHCHECK command, the first admin from the printed setup token,
#   sign-in, one question answered with a citation — and prints the figures for the note
#   (image size, cold start to ready, time to answer).
#
#   bash scripts/image-smoke.sh [image]          (default keel:dev)
#
# KEEL_SMOKE_RUNTIME   docker or podman (default: whichever is installed, docker first)
# KEEL_SMOKE_PORT      host port for the API (default 18080)
# KEEL_SMOKE_RUN_FLAGS extra `run` flags, e.g. for rootful podman in a VM without cgroup v2:
#                      "--runtime runc --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
set -euo pipefail
image="${1:-keel:dev}"
runtime="${KEEL_SMOKE_RUNTIME:-$(command -v docker >/dev/null && echo docker || echo podman)}"
port="${KEEL_SMOKE_PORT:-18080}"
read -r -a extra <<<"${KEEL_SMOKE_RUN_FLAGS:-}"
name="keel-smoke-$$"
volume="keel-smoke-data-$$"
base="http://127.0.0.1:$port"

fail() { echo "image smoke: $*" >&2; "$runtime" logs "$name" 2>&1 | tail -20 >&2 || true; exit 1; }
cleanup() {
  "$runtime" rm -f "$name" >/dev/null 2>&1 || true
  "$runtime" volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
now() { date +%s.%N; }
# Prints a field of the JSON on stdin: json .citations.length
json() { node -p "JSON.parse(require('fs').readFileSync(0, 'utf8'))$1"; }

size_bytes="$("$runtime" image inspect --format '{{.Size}}' "$image")"
"$runtime" volume create "$volume" >/dev/null

started="$(now)"
"$runtime" run -d --name "$name" --read-only --tmpfs /tmp "${extra[@]}" \
  -v "$volume:/data" -p "127.0.0.1:$port:8080" "$image" >/dev/null

# Cold start: until /health/ready answers 200 (the knowledge base is indexed by then).
for _ in $(seq 1 240); do
  if curl -fsS "$base/health/ready" >/dev/null 2>&1; then break; fi
  "$runtime" inspect --format '{{.State.Running}}' "$name" 2>/dev/null | grep -q true || fail "the container exited"
  sleep 0.5
done
curl -fsS "$base/health/ready" >/dev/null || fail "/health/ready never answered 200"
ready="$(now)"
curl -fsS "$base/health/live" >/dev/null || fail "/health/live is not 200"

# The container runs as the image's non-root user on a read-only root filesystem.
uid="$("$runtime" exec "$name" id -u)"
[ "$uid" = 10001 ] || fail "runs as uid $uid, not 10001"
if "$runtime" exec "$name" sh -c 'touch /app/x' 2>/dev/null; then fail "the root filesystem is writable"; fi
"$runtime" exec "$name" sh -c 'test -w /data' || fail "/data is not writable"
# The image's own HEALTHCHECK command, run inside the container.
healthcheck="$("$runtime" image inspect --format '{{json .Config.Healthcheck}}' "$image")"
node -e 'const h=JSON.parse(process.argv[1]);if(!h||!Array.isArray(h.Test)||h.Test[0]!=="CMD")process.exit(1)' "$healthcheck" ||
  fail "the image has no HEALTHCHECK CMD (podman/buildah keep it only with --format docker)"
mapfile -t check < <(node -e 'for (const a of JSON.parse(process.argv[1]).Test.slice(1)) console.log(a)' "$healthcheck")
"$runtime" exec "$name" "${check[@]}" || fail "the HEALTHCHECK command failed"

# The first admin, from the one-time setup token the server printed.
token="$("$runtime" logs "$name" 2>&1 | grep -o "keelsetup_[A-Za-z0-9_-]*" | head -1)"
[ -n "$token" ] || fail "no setup token in the log"
password="smoke-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')-Vessel"
curl -fsS "$base/v1/auth/setup" -H 'content-type: application/json' \
  -d "{\"setupToken\":\"$token\",\"email\":\"admin@example.com\",\"password\":\"$password\"}" >/dev/null ||
  fail "POST /v1/auth/setup failed"
access="$(curl -fsS "$base/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"admin@example.com\",\"password\":\"$password\"}" | json .accessToken)"

# One question, answered from the bundled documentation with a citation.
asked="$(now)"
answer="$(curl -fsS "$base/v1/chat" -H "authorization: Bearer $access" -H 'content-type: application/json' \
  -d '{"message":"How do I roll back a policy?"}')" || fail "POST /v1/chat failed"
answered="$(now)"
citations="$(echo "$answer" | json '.citations.length')"
[ "$citations" -ge 1 ] || fail "the answer has no citation: $answer"

printf 'image %s: %s MB\n' "$image" "$((size_bytes / 1000000))"
printf 'cold start to /health/ready: %.1f s\n' "$(echo "$ready - $started" | bc)"
printf 'question answered with %s citation(s) in %.2f s: %s\n' "$citations" \
  "$(echo "$answered - $asked" | bc)" "$(echo "$answer" | json '.citations[0].path')"
echo "image smoke: passed (read-only root, non-root uid 10001, healthcheck, setup, login, cited answer)"
