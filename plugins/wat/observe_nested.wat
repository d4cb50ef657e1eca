;; A module as the Observe SDK's instrumenter leaves one: each function
;; reports entering and leaving by its index (imports 0-4, then 5 =
;; `hello::inner`, 6 = `outer`, 7 = `run`, 8 = `_start`), the name section
;; (built with --debug-names) has a mangled Rust name, and the version
;; globals are exported. `outer` calls `inner` twice inside a span tagged
;; `user:ada`, and logs; `inner` grows memory by a page. It runs as a WASI
;; command (`_start`) or as an Extism export (`run`).
(module
  (import "dylibso:observe/instrument" "enter" (func $enter (param i32)))
  (import "dylibso:observe/instrument" "exit" (func $exit (param i32)))
  (import "dylibso:observe/instrument" "memory-grow" (func $grow (param i32)))
  (import "dylibso:observe/api" "span-enter" (func $span_enter (param i32 i32)))
  (import "dylibso:observe/api" "span-exit" (func $span_exit))
  (memory (export "memory") 1)
  (data (i32.const 0) "work")
  (global (export "wasm_instr_version_major") i32 (i32.const 0))
  (global (export "wasm_instr_version_minor") i32 (i32.const 4))
  (func $_ZN5hello5inner17h0123456789abcdefE
    (call $enter (i32.const 5))
    (call $grow (i32.const 1))
    (drop (memory.grow (i32.const 1)))
    (call $exit (i32.const 5)))
  (func $outer
    (call $enter (i32.const 6))
    (call $span_enter (i32.const 0) (i32.const 4))
    (call $_ZN5hello5inner17h0123456789abcdefE)
    (call $_ZN5hello5inner17h0123456789abcdefE)
    (call $span_exit)
    (call $exit (i32.const 6)))
  (func $run (export "run") (result i32)
    (call $enter (i32.const 7))
    (call $outer)
    (call $exit (i32.const 7))
    (i32.const 0))
  (func $_start (export "_start")
    (call $enter (i32.const 8))
    (call $outer)
    (call $exit (i32.const 8))))
