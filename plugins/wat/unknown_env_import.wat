;; Imports a name from extism:host/env that is neither a kernel function nor a
;; host service: loading must fail ("Invalid function import from extism:host/env").
(module
  (import "extism:host/env" "does_not_exist" (func $nope (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (drop (call $nope (i64.const 0)))
    (i32.const 0)))
