;; Exports whose signatures are not `() -> i32` / `() -> ()`.
(module
  (memory (export "memory") 1)
  (func (export "takes_param") (param i32) (result i32)
    (local.get 0))
  (func (export "returns_i64") (result i64)
    (i64.const 0)))
