#!/usr/bin/env bash
# build.sh - rebuild every test plug-in from source into plugins/wasm/.
#
#   plugins/build.sh            build everything
#   plugins/build.sh rust       only one family: rust | as | c | wat
#
# Uses only the repository and the tools on PATH; plugins/README.md
# ("Toolchains") lists them. Each family checks its tools before building and
# a missing one stops the script (exit 1) naming it and how to install it:
#
#   Rust   cargo with the wasm32-unknown-unknown and wasm32-wasip1 targets
#          (rustup target add ...); or CARGO_WASM / a `cargo-wasm` on PATH:
#          a cargo wrapper for machines where rustup cannot install those
#          targets (it builds std with -Zbuild-std; the committed files were
#          built that way, with Debian's rustc-web 1.96)
#   AS     node and npm (packages come from npm ci, pinned by package-lock.json)
#   C      clang with the wasm32 target, wasm-ld (lld) and wasi-libc;
#          CLANG picks the compiler (default clang-19, else clang)
#   WAT    wabt's wat2wasm
#   all    wabt's wasm-validate and wasm-objdump (checks and the summary)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/wasm"
only=${1:-all}

log() { printf '==> %s\n' "$*"; }

# Stops the build: TOOL is missing, HOW says how to get it.
missing() {
  printf 'plugins/build.sh: %s is missing.\n  install: %s\n  (plugins/README.md, "Toolchains", lists every tool)\n' "$1" "$2" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || missing "\`$1\`" "$2"; }

wabt_how="wabt (Debian/Ubuntu: apt-get install wabt; macOS: brew install wabt)"

check_wabt() {
  need wasm-validate "$wabt_how"
  need wasm-objdump "$wabt_how"
}

# The command that builds the Rust plug-ins, set by check_rust.
rust_cargo=()

check_rust() {
  local wrapper=${CARGO_WASM:-}
  if [ -z "$wrapper" ] && command -v cargo-wasm >/dev/null 2>&1; then
    wrapper=cargo-wasm
  fi
  if [ -n "$wrapper" ]; then
    need "$wrapper" "CARGO_WASM names a cargo wrapper that is not there; unset it to use cargo with rustup's targets"
    rust_cargo=("$wrapper")
    return
  fi
  local rustup_how="Rust from https://rustup.rs, then: rustup target add wasm32-unknown-unknown wasm32-wasip1"
  need cargo "$rustup_how"
  need rustc "$rustup_how"
  local target libdir
  for target in wasm32-unknown-unknown wasm32-wasip1; do
    libdir=$(rustc --print target-libdir --target "$target" 2>/dev/null || true)
    if [ -z "$libdir" ] || ! ls "$libdir"/libstd-* >/dev/null 2>&1; then
      missing "the Rust standard library for $target" \
        "rustup target add wasm32-unknown-unknown wasm32-wasip1 (or set CARGO_WASM to a wrapper that builds std, see plugins/README.md)"
    fi
  done
  rust_cargo=(cargo)
}

# Runs the Rust build command. With plain cargo, build-machine paths are
# remapped as cargo-wasm does, so that no home directory or checkout path ends
# up in the .wasm (panic locations embed source paths) and rebuilds elsewhere
# give the same bytes.
wasm_cargo() {
  if [ "${rust_cargo[0]}" != cargo ]; then
    "${rust_cargo[@]}" "$@"
    return
  fi
  local cargo_home=${CARGO_HOME:-$HOME/.cargo}
  local remap="--remap-path-prefix=$cargo_home/registry/src=/cargo/registry/src --remap-path-prefix=$cargo_home/git/checkouts=/cargo/git --remap-path-prefix=$PWD=."
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$remap ${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-}" \
  CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="$remap ${CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS:-}" \
    cargo "$@"
}

check_as() {
  local how="Node.js 20 or newer with npm (https://nodejs.org, or Debian/Ubuntu: apt-get install nodejs npm)"
  need node "$how"
  need npm "$how"
}

clang=""

check_c() {
  local how="a clang with the wasm32 target, lld and wasi-libc (Debian/Ubuntu: apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32; elsewhere wasi-sdk, with CLANG=/path/to/wasi-sdk/bin/clang)"
  if [ -n "${CLANG:-}" ]; then
    clang=$CLANG
  elif command -v clang-19 >/dev/null 2>&1; then
    clang=clang-19
  else
    clang=clang
  fi
  need "$clang" "$how"
  # Each part clang needs for a wasm32-wasi reactor, asked of clang itself
  # (these only look files up; nothing is compiled).
  local linker crt builtins
  linker=$("$clang" --target=wasm32-wasi -print-prog-name=wasm-ld 2>/dev/null || true)
  command -v "$linker" >/dev/null 2>&1 || missing "wasm-ld (the wasm linker of lld, for $clang)" "$how"
  crt=$("$clang" --target=wasm32-wasi -print-file-name=crt1-reactor.o 2>/dev/null || true)
  [ -f "$crt" ] || missing "wasi-libc (crt1-reactor.o, for $clang --target=wasm32-wasi)" "$how"
  builtins=$("$clang" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null || true)
  [ -f "$builtins" ] || missing "the wasm32 compiler-rt builtins ($builtins)" "$how"
}

check_wat() {
  need wat2wasm "$wabt_how"
}

case "$only" in
  all) check_rust; check_as; check_c; check_wat ;;
  rust) check_rust ;;
  as) check_as ;;
  c) check_c ;;
  wat) check_wat ;;
  *) echo "usage: $0 [all|rust|as|c|wat]" >&2; exit 2 ;;
esac
check_wabt

mkdir -p "$out" "$out/wat"

# copy SRC to plugins/wasm/NAME and check it validates
install_wasm() {
  local src=$1 name=$2
  wasm-validate "$src"
  cp "$src" "$out/$name"
  printf '    %-36s %8d bytes\n' "$name" "$(stat -c %s "$out/$name")"
}

build_rust() {
  log "Rust (extism-pdk, ${rust_cargo[0]}): wasm32-unknown-unknown"
  (cd "$here/rust" && wasm_cargo build --locked --release --target wasm32-unknown-unknown \
      -p count_vowels -p count_vowels_kvstore -p reflect -p kitchen -p pantry)
  log "Rust (extism-pdk): wasm32-wasip1"
  (cd "$here/rust" && wasm_cargo build --locked --release --target wasm32-wasip1 -p count_vowels -p fs)
  local u="$here/rust/target/wasm32-unknown-unknown/release"
  local w="$here/rust/target/wasm32-wasip1/release"
  install_wasm "$u/count_vowels.wasm" count_vowels.rust.wasm
  install_wasm "$w/count_vowels.wasm" count_vowels.rust-wasi.wasm
  install_wasm "$u/count_vowels_kvstore.wasm" count_vowels_kvstore.rust.wasm
  install_wasm "$u/reflect.wasm" reflect.rust.wasm
  install_wasm "$u/kitchen.wasm" kitchen.rust.wasm
  install_wasm "$u/pantry.wasm" pantry.rust.wasm
  install_wasm "$w/fs.wasm" fs.rust-wasi.wasm
  build_host_fn_args
}

# host_fn_args is a workspace of its own (rust/host_fn_args/Cargo.toml).
build_host_fn_args() {
  log "Rust (extism-pdk): host_fn_args, wasm32-unknown-unknown"
  (cd "$here/rust/host_fn_args" && wasm_cargo build --locked --release --target wasm32-unknown-unknown)
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
  log "C ($clang, wasm32-wasi reactor)"
  local d="$here/c/count_vowels"
  mkdir -p "$d/build"
  "$clang" --target=wasm32-wasi -mexec-model=reactor -Oz -Wall -Wextra -Werror \
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
