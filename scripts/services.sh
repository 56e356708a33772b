#!/usr/bin/env bash
# Makes sure the services Keel's server-mode tests talk to are up: PostgreSQL (with pgvector)
# and Redis on their standard local ports. Idempotent; safe to run before every test run.
# pgvector is not packaged for this Debian release, so it is built from Debian trixie's source
# package against postgresql-server-dev for the running PostgreSQL major version.
set -euo pipefail

log() { printf 'services: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

start_postgres() {
  if pg_ready; then return; fi
  log "starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_ready && return; sleep 1; done
  log "PostgreSQL did not become ready"; exit 1
}

has_pgvector() {
  [ "$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "select count(*) from pg_available_extensions where name = 'vector'" 2>/dev/null)" = "1" ]
}

install_pgvector() {
  if has_pgvector; then return; fi
  local major
  major=$(psql -h 127.0.0.1 -U postgres -d postgres -tAc 'show server_version_num' | cut -c1-2)
  log "building pgvector for PostgreSQL ${major} from Debian's source package"
  local sources=/etc/apt/sources.list.d/keel-trixie-src.sources
  if [ ! -f "$sources" ]; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | as_root tee "$sources" >/dev/null
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-${major}" build-essential dpkg-dev >/dev/null
  local build
  build=$(mktemp -d)
  (cd "$build" && apt-get source -qq pgvector >/dev/null 2>&1 && cd pgvector-*/ &&
    make -s PG_CONFIG="/usr/lib/postgresql/${major}/bin/pg_config" >/dev/null &&
    as_root make -s install PG_CONFIG="/usr/lib/postgresql/${major}/bin/pg_config" >/dev/null)
  rm -rf "$build"
  has_pgvector || { log "pgvector install failed"; exit 1; }
}

start_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  log "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 0.5; done
  log "Redis did not become ready"; exit 1
}

start_postgres
install_pgvector
start_redis
log "PostgreSQL $(psql -h 127.0.0.1 -U postgres -d postgres -tAc 'show server_version') with pgvector, Redis $(redis-cli -h 127.0.0.1 info server | grep -m1 redis_version | cut -d: -f2 | tr -d '\r') are up"
