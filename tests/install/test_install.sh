#!/usr/bin/env bash
# make install, seen from an app: install the build into a temporary prefix, compile the C API example
# against it with nothing but pkg-config (no build tree), and let it continue a prompt with a model that
# the installed tool writes.
#   test_install.sh CMAKE BUILD_DIR C_COMPILER SOURCE_DIR
set -euo pipefail
cmake=$1 build=$2 cc=$3 src=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$cmake" --install "$build" --prefix "$tmp/prefix" > /dev/null
pc=$(find "$tmp/prefix" -name giraffe.pc)
[ -n "$pc" ] || { echo "FAIL: no giraffe.pc installed"; exit 1; }
mv "$tmp/prefix" "$tmp/moved"  # the .pc file must follow the tree
export PKG_CONFIG_PATH=$(dirname "${pc/$tmp\/prefix/$tmp/moved}")
flags=$(pkg-config --cflags --libs --static giraffe)
echo "pkg-config: $flags"
"$cc" -std=c99 -Wall -Werror "$src/examples/simple/simple.c" $flags -o "$tmp/app"

"$tmp/moved/bin/giraffe" gen-model --preset tiny -o "$tmp/tiny.gguf" > /dev/null
out=$("$tmp/app" "$tmp/tiny.gguf" "hello world" 6)
echo "app: $out"
case "$out" in
  "hello world"?*) echo "ok: an app built against the installed library generates text" ;;
  *) echo "FAIL: the app did not continue the prompt"; exit 1 ;;
esac
