#!/bin/sh
# Makes the secret files compose.server.yaml reads (deploy/compose/secrets/), once: an existing
# file is never overwritten, so running it again keeps the installation's keys.
# Needs openssl, and Node.js 20+ or Docker for the JWT key set.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 700 secrets

make() { # name, command printing the value
  if [ -s "secrets/$1" ]; then echo "kept    secrets/$1"; return; fi
  sh -c "$2" > "secrets/$1"
  # Readable inside the containers (user 10001); the folder keeps other local users out.
  chmod 644 "secrets/$1"
  echo "created secrets/$1"
}

make keel_secret 'openssl rand -base64 48 | tr -d "\n"'
make credentials_key 'openssl rand -base64 48 | tr -d "\n"'
make internal_secret 'openssl rand -base64 48 | tr -d "\n"'
make postgres_password 'openssl rand -hex 24'
make s3_access_key_id 'echo "keel$(openssl rand -hex 8)"'
make s3_secret_access_key 'openssl rand -hex 32'

JWT="const c=require('node:crypto');const j=c.generateKeyPairSync('ed25519').privateKey.export({format:'jwk'});console.log(JSON.stringify({keys:[{...j,alg:'EdDSA',use:'sig',kid:c.randomUUID()}]}))"
if command -v node >/dev/null 2>&1; then
  make jwt_keys.json "node -e \"$JWT\""
else
  make jwt_keys.json "docker run --rm --entrypoint node ${KEEL_IMAGE:-keel:local} -e \"$JWT\""
fi
