#!/usr/bin/env bash
# Builds a stand-in for the image's base (node:22-bookworm-slim) where no registry but Debian's
# and npm's is reachable: a Debian bookworm root filesystem from debootstrap plus this machine's
# own Node.js and npm. Only for testing the Dockerfile here; real builds use the official image.
#   bash scripts/local-base-image.sh [tag]     (default localhost/node:22-bookworm-slim)
# Needs root, debootstrap and podman (Debian packages).
set -euo pipefail
tag="${1:-localhost/node:22-bookworm-slim}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
cat > "$root/etc/apt/sources.list" <<'LIST'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
LIST

# Node.js, npm and Node's headers (native addons build against them, as in the official image).
node_bin="$(readlink -f "$(command -v node)")"
node_prefix="$(dirname "$(dirname "$node_bin")")"
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp -a "$node_prefix/lib/node_modules/npm" "$root/usr/local/lib/node_modules/npm"
cp -a "$node_prefix/include/node" "$root/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# A TLS-inspecting proxy between this machine and the registries signs with a local CA: the
# stand-in trusts the host's bundle (the official image needs no such thing).
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/host-ca-bundle.crt"

tar -C "$root" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt' \
  --change 'ENV npm_config_cafile=/etc/ssl/certs/host-ca-bundle.crt' \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'CMD ["node"]' - "$tag" >/dev/null
echo "built $tag ($(node --version) on Debian bookworm)"
