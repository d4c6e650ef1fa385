#!/bin/sh
# `npm run dynamodb-local`: fetches AWS's DynamoDB Local (its jar and native SQLite libraries), which
# the tests of the stores against real DynamoDB start (test/support/dynamodb-local.ts). It ships
# inside the npm package amplify-dynamodb-simulator: 56 MB, with the Amplify CLI's core among its
# dependencies, so it is packed from the registry and unpacked here, never installed as a dependency.
# It needs Java 17 or later to run (Debian: apt-get install openjdk-17-jre-headless).
#
# Into $DYNAMODB_LOCAL_DIR, by default node_modules/.cache/dynamodb-local (npm ci empties it: run
# this again; npm's cache keeps the package, so that takes a few seconds). Run again, it does nothing.
set -eu
cd "$(dirname "$0")/.."

# The release, and the tarball's digest as the registry gave it when it was pinned: a tarball that
# differs is refused.
version=2.9.30
integrity=sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==
dir=${DYNAMODB_LOCAL_DIR:-node_modules/.cache/dynamodb-local}

if [ -f "$dir/DynamoDBLocal.jar" ] && [ "$(cat "$dir/.release" 2>/dev/null)" = "$version" ]; then
  echo "dynamodb-local: amplify-dynamodb-simulator $version is in $dir"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm pack "amplify-dynamodb-simulator@$version" --pack-destination "$work" --silent > /dev/null
tarball="$work/amplify-dynamodb-simulator-$version.tgz"
got=$(node -e '
  const data = require("node:fs").readFileSync(process.argv[1]);
  console.log("sha512-" + require("node:crypto").createHash("sha512").update(data).digest("base64"));
' "$tarball")
if [ "$got" != "$integrity" ]; then
  echo "dynamodb-local: amplify-dynamodb-simulator $version has digest $got, not the pinned $integrity" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/emulator
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$work/package/emulator" "$dir"
echo "$version" > "$dir/.release"
echo "dynamodb-local: amplify-dynamodb-simulator $version unpacked into $dir"
