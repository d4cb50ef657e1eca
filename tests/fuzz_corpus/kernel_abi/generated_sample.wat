;; extism-fuzz final_len=1 input= max_pages=4 max_var_bytes=0 recycle=0
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "output_length" (func $output_length (result i64)))
  (import "extism:host/env" "output_offset" (func $output_offset (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "error_get" (func $error_get (result i64)))
  (import "extism:host/env" "input_set" (func $input_set (param i64 i64)))
  (import "extism:host/env" "reset" (func $reset))
  (import "extism:host/env" "memory_bytes" (func $memory_bytes (result i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "log_trace" (func $log_trace (param i64)))
  (import "extism:host/env" "log_debug" (func $log_debug (param i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "log_warn" (func $log_warn (param i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (import "extism:host/env" "http_headers" (func $http_headers (result i64)))

  ;; Bit mask of violated invariants (see fuzz/src/kernel.rs).
  (global $viol (mut i64) (i64.const 0))

  (func $bad (param $bit i32)
    (global.set $viol (i64.or (global.get $viol)
      (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $bit))))))

  ;; Checks a fresh allocation of $n bytes at $p and returns $p.
  (func $chk_alloc (param $p i64) (param $n i64) (result i64)
    (if (i64.eqz (local.get $n))
      (then
        (if (i64.ne (local.get $p) (i64.const 0)) (then (call $bad (i32.const 1))))
        (return (local.get $p))))
    (if (i64.ne (local.get $p) (i64.const 0))
      (then
        (if (i64.ne (call $length (local.get $p)) (local.get $n)) (then (call $bad (i32.const 2))))
        (if (i64.lt_u (local.get $p) (i64.const 64)) (then (call $bad (i32.const 3))))
        (if (i64.ne (i64.and (local.get $p) (i64.const 7)) (i64.const 0)) (then (call $bad (i32.const 4))))))
    (local.get $p))

  ;; Reads the first bytes of the input and a few past its end.
  (func $scan (local $i i64) (local $len i64)
    (local.set $len (call $input_length))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
        (br_if $done (i64.ge_u (local.get $i) (i64.const 256)))
        (drop (call $input_load_u8 (local.get $i)))
        (drop (call $input_load_u64 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (if (i64.ne (local.get $len) (i64.const 0))
      (then
        (drop (call $input_load_u8 (i64.sub (local.get $len) (i64.const 1))))))
    (if (i64.ge_u (local.get $len) (i64.const 8))
      (then
        (drop (call $input_load_u64 (i64.sub (local.get $len) (i64.const 8))))))
    (if (i32.ne (call $input_load_u8 (local.get $len)) (i32.const 0)) (then (call $bad (i32.const 7))))
    (if (i64.ne (call $input_load_u64 (i64.sub (local.get $len) (i64.const 7))) (i64.const 0))
      (then (call $bad (i32.const 7))))
    (if (i32.ne (call $input_load_u8 (i64.const -1)) (i32.const 0)) (then (call $bad (i32.const 7)))))

  (func (export "run") (result i32) (local $s0 i64) (local $s1 i64) (local $s2 i64) (local $s3 i64) (local $s4 i64) (local $s5 i64) (local $s6 i64) (local $s7 i64) (local $t i64) (local $n i64) (local $o i64) (local $f i64)

    ;; Epilogue: [violations, alloc(final_len), length of it] as 3 x u64.
    (call $error_set (i64.const 0))
    (local.set $f (call $alloc (i64.const 1)))
    (local.set $o (call $alloc (i64.const 24)))
    (if (i64.eqz (local.get $o)) (then (return (i32.const 77))))
    (call $store_u64 (local.get $o) (global.get $viol))
    (call $store_u64 (i64.add (local.get $o) (i64.const 8)) (local.get $f))
    (call $store_u64 (i64.add (local.get $o) (i64.const 16)) (call $length (local.get $f)))
    (call $output_set (local.get $o) (i64.const 24))
    (i32.const 0))

  ;; A plain call that must work after whatever `run` did.
  (func (export "check") (result i32) (local $p i64)
    (local.set $p (call $alloc (i64.const 5)))
    (call $store_u8 (local.get $p) (i32.const 104))
    (call $store_u8 (i64.add (local.get $p) (i64.const 1)) (i32.const 101))
    (call $store_u8 (i64.add (local.get $p) (i64.const 2)) (i32.const 108))
    (call $store_u8 (i64.add (local.get $p) (i64.const 3)) (i32.const 108))
    (call $store_u8 (i64.add (local.get $p) (i64.const 4)) (i32.const 111))
    (call $output_set (local.get $p) (i64.const 5))
    (i32.const 0))
)
