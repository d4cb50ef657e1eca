;; `run` calls the host function `extism:host/user::wait` and returns 0 right
;; after it: no epoch check runs between the host function's return and the
;; end of the call.
(module
  (import "extism:host/user" "wait" (func $wait))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (call $wait)
    (i32.const 0)))
