;; The counter of `counter_reactor.wat` as a WASI command (it exports
;; `_start`): every call of `count` from another module gets a fresh
;; instance, so it always returns 1.
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "_start"))
  (func (export "count") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))
