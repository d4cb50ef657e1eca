#!/usr/bin/env bash
# build.sh - rebuild every test plug-in from source into plugins/wasm/.
#
#   plugins/build.sh            build everything
#   plugins/build.sh rust       only one family: rust | as | c | wat
#
# Toolchains (see shared/TOOLCHAINS.md): Debian rustc-web 1.96 through the
# cargo-wasm wrapper (extism-pdk 1.4.1), npm assemblyscript 0.28.20 +
# @extism/as-pdk 1.0.0, clang-19 + wasi-libc for C, wabt's wat2wasm for WAT.
# Runs shared/toolchains/setup.sh first when a tool is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out="$here/wasm"
only=${1:-all}

log() { printf '==> %s\n' "$*"; }

need_setup=0
for tool in cargo-wasm clang-19 wat2wasm wasm-objdump wasm-validate; do
  command -v "$tool" >/dev/null 2>&1 || need_setup=1
done
if [ $need_setup -eq 1 ]; then
  setup="$root/../shared/toolchains/setup.sh"
  [ -x "$setup" ] || setup=/work/shared/toolchains/setup.sh
  log "toolchains missing: running $setup"
  "$setup"
fi

mkdir -p "$out" "$out/wat"

# copy SRC to plugins/wasm/NAME and check it validates
install_wasm() {
  local src=$1 name=$2
  wasm-validate "$src"
  cp "$src" "$out/$name"
  printf '    %-36s %8d bytes\n' "$name" "$(stat -c %s "$out/$name")"
}

build_rust() {
  log "Rust (extism-pdk): wasm32-unknown-unknown"
  (cd "$here/rust" && cargo-wasm build --locked --release --target wasm32-unknown-unknown \
      -p count_vowels -p count_vowels_kvstore -p reflect -p kitchen)
  log "Rust (extism-pdk): wasm32-wasip1"
  (cd "$here/rust" && cargo-wasm build --locked --release --target wasm32-wasip1 -p count_vowels -p fs)
  local u="$here/rust/target/wasm32-unknown-unknown/release"
  local w="$here/rust/target/wasm32-wasip1/release"
  install_wasm "$u/count_vowels.wasm" count_vowels.rust.wasm
  install_wasm "$w/count_vowels.wasm" count_vowels.rust-wasi.wasm
  install_wasm "$u/count_vowels_kvstore.wasm" count_vowels_kvstore.rust.wasm
  install_wasm "$u/reflect.wasm" reflect.rust.wasm
  install_wasm "$u/kitchen.wasm" kitchen.rust.wasm
  install_wasm "$w/fs.wasm" fs.rust-wasi.wasm
  build_host_fn_args
}

# host_fn_args is a workspace of its own (rust/host_fn_args/Cargo.toml).
build_host_fn_args() {
  log "Rust (extism-pdk): host_fn_args, wasm32-unknown-unknown"
  (cd "$here/rust/host_fn_args" && cargo-wasm build --locked --release --target wasm32-unknown-unknown)
  install_wasm "$here/rust/host_fn_args/target/wasm32-unknown-unknown/release/host_fn_args.wasm" \
    host_fn_args.rust.wasm
}

build_as() {
  log "AssemblyScript (@extism/as-pdk)"
  local d="$here/assemblyscript/count_vowels"
  (cd "$d" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  install_wasm "$d/build/count_vowels.wasm" count_vowels.as.wasm
}

build_c() {
  log "C (clang-19, wasm32-wasi reactor)"
  local d="$here/c/count_vowels"
  mkdir -p "$d/build"
  clang-19 --target=wasm32-wasi -mexec-model=reactor -Oz -Wall -Wextra -Werror \
    -Wl,--strip-all -Wl,--gc-sections -o "$d/build/count_vowels.wasm" "$d/count_vowels.c"
  install_wasm "$d/build/count_vowels.wasm" count_vowels.c.wasm
}

build_wat() {
  log "WAT (wat2wasm)"
  local f name
  for f in "$here"/wat/*.wat; do
    name=$(basename "$f" .wat)
    # Instrumented modules carry a name section, as instrumented builds do.
    case "$name" in observe_*) names=--debug-names ;; *) names= ;; esac
    wat2wasm $names "$f" -o "$out/wat/$name.wasm"
    printf '    %-36s %8d bytes\n' "wat/$name.wasm" "$(stat -c %s "$out/wat/$name.wasm")"
  done
}

case "$only" in
  all) build_rust; build_as; build_c; build_wat ;;
  rust) build_rust ;;
  as) build_as ;;
  c) build_c ;;
  wat) build_wat ;;
  *) echo "usage: $0 [all|rust|as|c|wat]" >&2; exit 2 ;;
esac

log "exports / imports"
for f in "$out"/*.wasm "$out"/wat/*.wasm; do
  rel=${f#"$out"/}
  exports=$( { wasm-objdump -x -j Export "$f" 2>/dev/null || true; } | sed -n 's/.*-> "\(.*\)"$/\1/p' | tr '\n' ' ')
  modules=$( { wasm-objdump -x -j Import "$f" 2>/dev/null || true; } | sed -n 's/.* <- \([^.]*\)\..*/\1/p' | sort -u | tr '\n' ' ')
  printf '    %-36s exports: %s\n    %-36s imports from: %s\n' "$rel" "$exports" "" "${modules:-(none)}"
done
log "done: $out"
