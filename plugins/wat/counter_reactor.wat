;; A library module (a reactor) counting its calls in a global: `count`
;; returns how often it has run in this instance.
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "count") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))
