;; output_set with ranges that are not inside kernel memory. The reference
;; ignores such a call (the output stays empty); it must never crash the host.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  ;; offset far outside kernel memory
  (func (export "oob_offset") (result i32)
    (call $output_set (i64.const 0xFFFFFFF00) (i64.const 16))
    (i32.const 0))
  ;; a valid 4-byte block, but a length far past the end of kernel memory
  (func (export "oob_length") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 4)))
    (call $store_u8 (local.get $p) (i32.const 65))
    (call $output_set (local.get $p) (i64.const 0x7FFFFFFF0))
    (i32.const 0))
  ;; offset + length overflows u64
  (func (export "wrap_length") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 4)))
    (call $output_set (local.get $p) (i64.const -1))
    (i32.const 0))
  ;; offset 0 (null) with a non-zero length
  (func (export "null_offset") (result i32)
    (call $output_set (i64.const 0) (i64.const 8))
    (i32.const 0))
  ;; a valid block, output only its first 2 of 4 bytes ("AB")
  (func (export "partial_block") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 4)))
    (call $store_u8 (local.get $p) (i32.const 65))
    (call $store_u8 (i64.add (local.get $p) (i64.const 1)) (i32.const 66))
    (call $store_u8 (i64.add (local.get $p) (i64.const 2)) (i32.const 67))
    (call $store_u8 (i64.add (local.get $p) (i64.const 3)) (i32.const 68))
    (call $output_set (local.get $p) (i64.const 2))
    (i32.const 0)))
