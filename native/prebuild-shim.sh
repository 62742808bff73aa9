#!/bin/sh
# prebuildify drives node-gyp; this stands in for it and builds with cmake-js instead
# (Node-API only, so nothing is downloaded). prebuildify picks up build/Release/*.node.
# compile, not rebuild: the tree npm install and npm test built is reused (nothing changed).
cd "$(dirname "$0")/.." && exec npx cmake-js compile --out build
