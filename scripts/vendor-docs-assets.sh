#!/usr/bin/env bash
# Refreshes the Swagger UI and Redoc files the docs function serves.
#
# The docs pages must work with no CDN and no download at build time, so the
# files are committed (gzipped: the function sends them as they are to clients
# that accept gzip, which every browser does). They come from the npm registry
# at pinned versions; `npm pack` checks each tarball against the registry's
# sha512 integrity. Rerun after changing a version below, then commit
# functions/docs/assets/.
set -euo pipefail
cd "$(dirname "$0")/.."

SWAGGER_UI_VERSION=5.35.0
REDOC_VERSION=3.0.1
out=functions/docs/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" "redoc@$REDOC_VERSION" >/dev/null)
mkdir -p "$work/swagger" "$work/redoc"
tar -xzf "$work/swagger-ui-dist-$SWAGGER_UI_VERSION.tgz" -C "$work/swagger"
tar -xzf "$work/redoc-$REDOC_VERSION.tgz" -C "$work/redoc"

rm -f "$out"/*.gz "$out"/*LICENSE* "$out"/NOTICE*
vendor() { # vendor SOURCE NAME: gzip deterministically (-n: no name or time)
  gzip -9 -n -c "$1" >"$out/$2.gz"
  (cd "$(dirname "$1")" && sha256sum "$(basename "$1")") | sed "s/  .*/  $2/" >>"$work/sums"
}
: >"$work/sums"
vendor "$work/swagger/package/swagger-ui-bundle.js" swagger-ui-bundle.js
vendor "$work/swagger/package/swagger-ui.css" swagger-ui.css
vendor "$work/swagger/package/favicon-32x32.png" favicon-32x32.png
vendor "$work/redoc/package/bundles/redoc.standalone.js" redoc.standalone.js
cp "$work/swagger/package/LICENSE" "$out/swagger-ui.LICENSE"
cp "$work/swagger/package/NOTICE" "$out/swagger-ui.NOTICE"
cp "$work/swagger/package/swagger-ui-bundle.js.LICENSE.txt" "$out/swagger-ui-bundle.js.LICENSE.txt"
cp "$work/redoc/package/LICENSE" "$out/redoc.LICENSE"
sort -k2 "$work/sums" >"$out/SHA256SUMS"
cat >"$out/VERSIONS" <<VERSIONS
swagger-ui-dist $SWAGGER_UI_VERSION (Apache-2.0) https://www.npmjs.com/package/swagger-ui-dist
redoc $REDOC_VERSION (MIT) https://www.npmjs.com/package/redoc
VERSIONS
echo "vendored into $out:"
ls -l "$out"
