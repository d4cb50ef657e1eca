;; An export with two results: calling it must fail (0 or 1 result expected);
;; `one_result` next to it still works.
(module
  (memory (export "memory") 1)
  (func (export "two") (result i32 i32)
    (i32.const 0) (i32.const 0))
  (func (export "one_result") (result i32)
    (i32.const 0))
  (func (export "no_result")))
