;; Probes kernel rules a host must follow (ABI §2-§3.1) and outputs the
;; results as consecutive 8-byte little-endian u64 values, in this order:
;;   0 alloc(0)                       expect 0
;;   1 length(0)                      expect 0
;;   2 length(p) for p = alloc(10)    expect 10
;;   3 length(p + 1)                  expect 0
;;   4 input_length()                 (the input length)
;;   5 input_load_u64(len - 4)        expect 0 when len >= 4 (8 bytes not available)
;;   6 input_load_u8(len)             expect 0
;;   7 load_u64(0xFFFFFFFFFF)         expect 0 (outside kernel memory)
;;   8 load_u8(0xFFFFFFFFFF)          expect 0
;;   9 length_unsafe(p)               expect 10
;;  10 input_offset() != 0            expect 1 when len > 0
;;  11 length(input_offset())         expect len
;;  12 load_u8(input_offset())        first input byte
;;  13 value read back from p after store_u64(p, 0x0102030405060708)
;;  14 1 if store_u64/store_u8 far outside memory were ignored (always 1 when the call returns)
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (global $out (mut i64) (i64.const 0))
  (global $slot (mut i64) (i64.const 0))
  (func $emit (param $v i64)
    (call $store_u64 (i64.add (global.get $out) (i64.mul (global.get $slot) (i64.const 8)))
                     (local.get $v))
    (global.set $slot (i64.add (global.get $slot) (i64.const 1))))
  (func (export "probe") (result i32)
    (local $p i64) (local $n i64)
    (global.set $slot (i64.const 0))
    (global.set $out (call $alloc (i64.const 120)))
    (call $emit (call $alloc (i64.const 0)))
    (call $emit (call $length (i64.const 0)))
    (local.set $p (call $alloc (i64.const 10)))
    (call $emit (call $length (local.get $p)))
    (call $emit (call $length (i64.add (local.get $p) (i64.const 1))))
    (local.set $n (call $input_length))
    (call $emit (local.get $n))
    (call $emit (call $input_load_u64 (i64.sub (local.get $n) (i64.const 4))))
    (call $emit (i64.extend_i32_u (call $input_load_u8 (local.get $n))))
    (call $emit (call $load_u64 (i64.const 0xFFFFFFFFFF)))
    (call $emit (i64.extend_i32_u (call $load_u8 (i64.const 0xFFFFFFFFFF))))
    (call $emit (call $length_unsafe (local.get $p)))
    (call $emit (i64.extend_i32_u (i64.ne (call $input_offset) (i64.const 0))))
    (call $emit (call $length (call $input_offset)))
    (call $emit (i64.extend_i32_u (call $load_u8 (call $input_offset))))
    (call $store_u64 (local.get $p) (i64.const 0x0102030405060708))
    (call $emit (call $load_u64 (local.get $p)))
    (call $store_u64 (i64.const 0xFFFFFFFFFF) (i64.const 1))
    (call $store_u8 (i64.const 0xFFFFFFFFFF) (i32.const 1))
    (call $emit (i64.const 1))
    (call $output_set (global.get $out) (i64.const 120))
    (i32.const 0)))
