;; An initialiser the host steers: `_initialize` asks the host function
;; `extism:host/user::init_mode` and loops forever when it answers 1, so a
;; test can make the *re*-instantiation after a trap hang. `trap` traps,
;; `ok` returns 0.
(module
  (import "extism:host/user" "init_mode" (func $init_mode (result i32)))
  (memory (export "memory") 1)
  (func (export "_initialize")
    (if (i32.eq (call $init_mode) (i32.const 1))
      (then (loop $forever (br $forever)))))
  (func (export "trap") (result i32) unreachable)
  (func (export "ok") (result i32) (i32.const 0)))
