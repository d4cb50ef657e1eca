;; WASI clock waits (`poll_oneoff`), the way a guest's `sleep` reaches the
;; host. Every export reads its duration as 8 bytes (u64 LE nanoseconds) of
;; input and outputs 32 bytes (u64 LE each): the errno poll_oneoff returned,
;; the number of events, the first event's userdata and its type.
;;
;; * `sleep`: one relative monotonic clock (userdata 7).
;; * `sleep_until`: one absolute monotonic clock, now + input (userdata 8).
;; * `sleep_two`: clocks of input (userdata 9) and 100 x input (userdata 10).
;; * `sleep_or_stdout`: a clock (userdata 11) and stdout writable (userdata
;;   12): stdout is ready at once.
;; * `sleep_none`: no subscriptions at all (an error, EINVAL).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  ;; Subscriptions at 0 (48 bytes each), events at 128 (32 bytes each), the
  ;; event count at 256, a clock reading at 264.

  (func $nanos (result i64) (call $input_load_u64 (i64.const 0)))

  (func $clock_sub (param $at i32) (param $userdata i64) (param $timeout i64) (param $flags i32)
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))    ;; eventtype clock
    (i32.store offset=16 (local.get $at) (i32.const 1))    ;; clockid monotonic
    (i64.store offset=24 (local.get $at) (local.get $timeout))
    (i64.store offset=32 (local.get $at) (i64.const 0))    ;; precision
    (i32.store16 offset=40 (local.get $at) (local.get $flags)))

  (func $clear
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 272)))

  (func $report (param $errno i32) (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 32)))
    (call $store_u64 (local.get $p) (i64.extend_i32_u (local.get $errno)))
    (call $store_u64 (i64.add (local.get $p) (i64.const 8)) (i64.load32_u (i32.const 256)))
    (call $store_u64 (i64.add (local.get $p) (i64.const 16)) (i64.load (i32.const 128)))
    (call $store_u64 (i64.add (local.get $p) (i64.const 24)) (i64.load8_u offset=10 (i32.const 128)))
    (call $output_set (local.get $p) (i64.const 32))
    (i32.const 0))

  (func (export "sleep") (result i32)
    (call $clear)
    (call $clock_sub (i32.const 0) (i64.const 7) (call $nanos) (i32.const 0))
    (call $report (call $poll (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256))))

  (func (export "sleep_until") (result i32)
    (call $clear)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 264)))
    (call $clock_sub (i32.const 0) (i64.const 8)
      (i64.add (i64.load (i32.const 264)) (call $nanos)) (i32.const 1))
    (call $report (call $poll (i32.const 0) (i32.const 128) (i32.const 1) (i32.const 256))))

  (func (export "sleep_two") (result i32)
    (call $clear)
    (call $clock_sub (i32.const 0) (i64.const 9) (call $nanos) (i32.const 0))
    (call $clock_sub (i32.const 48) (i64.const 10)
      (i64.mul (call $nanos) (i64.const 100)) (i32.const 0))
    (call $report (call $poll (i32.const 0) (i32.const 128) (i32.const 2) (i32.const 256))))

  (func (export "sleep_or_stdout") (result i32)
    (call $clear)
    (call $clock_sub (i32.const 0) (i64.const 11) (call $nanos) (i32.const 0))
    (i64.store (i32.const 48) (i64.const 12))
    (i32.store8 offset=8 (i32.const 48) (i32.const 2))     ;; eventtype fd_write
    (i32.store offset=16 (i32.const 48) (i32.const 1))     ;; fd 1 (stdout)
    (call $report (call $poll (i32.const 0) (i32.const 128) (i32.const 2) (i32.const 256))))

  (func (export "sleep_none") (result i32)
    (call $clear)
    (call $report (call $poll (i32.const 0) (i32.const 128) (i32.const 0) (i32.const 256)))))
