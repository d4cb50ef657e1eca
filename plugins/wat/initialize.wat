;; A reactor-style module: `_initialize` bumps a global. `check` outputs
;; "init=N" where N is how often `_initialize` ran in this instance (the
;; reference calls it once, before the first call).
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (global $inits (mut i32) (i32.const 0))
  (data (i32.const 0) "init=")
  (func (export "_initialize")
    (global.set $inits (i32.add (global.get $inits) (i32.const 1))))
  (func (export "check") (result i32)
    (local $p i64) (local $i i32)
    (local.set $p (call $alloc (i64.const 6)))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (i32.const 5)))
        (call $store_u8 (i64.add (local.get $p) (i64.extend_i32_u (local.get $i)))
                        (i32.load8_u (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    ;; one decimal digit (the count is expected to be small)
    (call $store_u8 (i64.add (local.get $p) (i64.const 5))
                    (i32.add (i32.const 48) (i32.rem_u (global.get $inits) (i32.const 10))))
    (call $output_set (local.get $p) (i64.const 6))
    (i32.const 0)))
