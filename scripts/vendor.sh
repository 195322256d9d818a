#!/usr/bin/env bash
# Refresh the vendored browser files from npm (run by `make vendor`). Nothing loads from a CDN at
# run time: the server ships these files. Versions are pinned here; bump them on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKET_IO_CLIENT=4.8.4
AXE_CORE=4.14.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  "socket.io-client@$SOCKET_IO_CLIENT" "axe-core@$AXE_CORE" >/dev/null)
mkdir -p static/vendor/socket.io tests/e2e/vendor
cp "$work/node_modules/socket.io-client/dist/socket.io.esm.min.js" static/vendor/socket.io/
cp "$work/node_modules/socket.io-client/LICENSE" static/vendor/socket.io/LICENSE
echo "socket.io-client $SOCKET_IO_CLIENT (npm)" > static/vendor/socket.io/VERSION
cp "$work/node_modules/axe-core/axe.min.js" tests/e2e/vendor/
cp "$work/node_modules/axe-core/LICENSE" tests/e2e/vendor/axe-core.LICENSE
echo "vendored socket.io-client $SOCKET_IO_CLIENT and axe-core $AXE_CORE"

# The rendered API docs at /api/v1/docs (admin issue #5).
SWAGGER_UI_DIST=5.35.0
work_docs=$(mktemp -d)
(cd "$work_docs" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  "swagger-ui-dist@$SWAGGER_UI_DIST" >/dev/null)
mkdir -p static/vendor/swagger-ui
cp "$work_docs/node_modules/swagger-ui-dist/swagger-ui-bundle.js" \
  "$work_docs/node_modules/swagger-ui-dist/swagger-ui.css" static/vendor/swagger-ui/
cp "$work_docs/node_modules/swagger-ui-dist/LICENSE" static/vendor/swagger-ui/LICENSE
echo "swagger-ui-dist $SWAGGER_UI_DIST (npm)" > static/vendor/swagger-ui/VERSION
rm -rf "$work_docs"
echo "vendored swagger-ui-dist $SWAGGER_UI_DIST"
