;; Imports a user host function that no host registers: loading must fail
;; (the reference: wasmtime "unknown import" at instantiate time).
(module
  (import "extism:host/user" "not_registered" (func $not_registered (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (drop (call $not_registered (i64.const 0)))
    (i32.const 0)))
