;; A WASI command whose `_start` passes its input (a little-endian i64, or 0
;; without input) to `proc_exit`.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i64.ge_u (call $input_length) (i64.const 8))
      (then (call $proc_exit (i32.wrap_i64 (call $input_load_u64 (i64.const 0))))))
    (call $proc_exit (i32.const 0))))
