;; A WASI-command-shaped plug-in with only `_start`: it counts its runs in a
;; global and outputs the count as a digit. Hosts give every `_start` call a
;; fresh instance, so each call outputs "1".
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (func (export "_start")
    (local $p i64)
    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (i32.add (i32.const 48) (global.get $runs)))
    (call $output_set (local.get $p) (i64.const 1))))
