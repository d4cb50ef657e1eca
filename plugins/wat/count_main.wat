;; Main module linked with a module named `counter`: `run` outputs what
;; `counter::count` returns, as a digit.
(module
  (import "counter" "count" (func $count (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (i32.add (i32.const 48) (call $count)))
    (call $output_set (local.get $p) (i64.const 1))
    (i32.const 0)))
