#!/bin/sh
# Installs Glimpse for production from its own `npm pack` tarball into an empty folder: the compiled
# JavaScript in dist/, the dependencies pinned by the npm-shrinkwrap.json the tarball carries (package-lock.json
# at pack time), no devDependencies (no bundled Node.js, no test tools), and no install scripts. The
# Dockerfile and test/install/production-install.test.ts both run this, so the test exercises what the
# image holds. The command is then <target dir>/node_modules/.bin/glimpse.
#   usage: install-package.sh <glimpse-x.y.z.tgz> <target dir>
set -eu
if [ "$#" -ne 2 ]; then
  echo "usage: $0 <glimpse-x.y.z.tgz> <target dir>" >&2
  exit 2
fi
tarball=$(realpath "$1")
mkdir -p "$2"
cd "$2"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline "$tarball"
