#!/usr/bin/env bash
# Makes a PostgreSQL server answer on 127.0.0.1:5432 for the tests: installs it from Debian when missing,
# creates and starts the cluster, and gives the `postgres` role the password the test URL carries.
# Idempotent: on a machine where all this is done already it only checks.
set -euo pipefail
password="${1:?usage: postgres.sh <password>}"

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if [ ! -d "/etc/postgresql/$version/main" ]; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432
su postgres -c "psql -q -v ON_ERROR_STOP=1 -c \"ALTER ROLE postgres PASSWORD '$password'\""
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1 \
  || su postgres -c "createdb test"
