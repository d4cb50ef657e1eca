;; See `cycle_lhs.wat`; this module also exports the memory main imports.
(module
  (import "lhs" "is_even" (func $is_even (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "is_odd") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (call $is_even (i32.sub (local.get $n) (i32.const 1)))))))
