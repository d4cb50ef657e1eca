;; Sets an error block holding invalid UTF-8 (0xFF 0xFE) and returns 1.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $p) (i32.const 0xFF))
    (call $store_u8 (i64.add (local.get $p) (i64.const 1)) (i32.const 0xFE))
    (call $error_set (local.get $p))
    (i32.const 1)))
