;; Reads its input the way some PDKs do: `input_offset` and `input_length`,
;; then plain `load_u8` on the kernel memory (no `input_load_*`). `reverse`
;; outputs the input reversed; `first` returns the first byte as its code.
(module
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "reverse") (result i32)
    (local $in i64) (local $n i64) (local $out i64) (local $i i64)
    (local.set $in (call $input_offset))
    (local.set $n (call $input_length))
    (local.set $out (call $alloc (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8
          (i64.add (local.get $out) (local.get $i))
          (call $load_u8
            (i64.add (local.get $in)
              (i64.sub (i64.sub (local.get $n) (i64.const 1)) (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (call $output_set (local.get $out) (local.get $n))
    (i32.const 0))
  (func (export "first") (result i32)
    (if (result i32) (i64.eqz (call $input_length))
      (then (i32.const 0))
      (else (call $load_u8 (call $input_offset))))))
