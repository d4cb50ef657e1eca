;; Main of the `lhs`/`rhs` cycle: `encalculate` returns
;; 100 + is_even(10) * 20 + is_odd(7) * 7 = 127 as its exit code.
(module
  (import "lhs" "is_even" (func $is_even (param i32) (result i32)))
  (import "rhs" "is_odd" (func $is_odd (param i32) (result i32)))
  (import "rhs" "memory" (memory 1))
  (func (export "encalculate") (result i32)
    (i32.add (i32.const 100)
      (i32.add (i32.mul (call $is_even (i32.const 10)) (i32.const 20))
               (i32.mul (call $is_odd (i32.const 7)) (i32.const 7))))))
