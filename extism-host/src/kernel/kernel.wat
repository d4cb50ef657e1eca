;; The data half of the Extism kernel: the kernel memory and the functions a
;; plug-in calls for every 8 bytes it moves (load/store, input loads).
;;
;; These stay in wasm so that each call is a wasm-to-wasm call; block
;; bookkeeping (alloc, free, length, output, error) is host code in
;; `kernel/allocator.rs`, called once per block.
;;
;; Every access is bounds-checked against the current memory size and never
;; traps: out-of-range loads return 0 and stores are ignored, as the reference
;; kernel does. Offsets are i64 on the ABI; the memory is a 32-bit memory, so an
;; in-bounds offset always fits in i32 after the check.
;; The input block's offset and length live in the first 16 bytes of the
;; kernel memory, written by the host (`input_set`); no block starts below 64
;; and stores below 16 are ignored, so a plug-in cannot move its input.
;; Memory rather than globals because the host sets them on every call, and a
;; plain memory write is much cheaper for the host than a global update.
(module
  (memory (export "memory") 1)

  ;; The size of the kernel memory in bytes, written inline at each use:
  ;;   (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))

  (func (export "load_u8") (param $p i64) (result i32)
    (if (i64.ge_u (local.get $p) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then (return (i32.const 0))))
    (i32.load8_u (i32.wrap_i64 (local.get $p))))

  (func (export "load_u64") (param $p i64) (result i64)
    ;; The memory is never smaller than one page, so size - 8 cannot wrap.
    (if (i64.gt_u (local.get $p)
                  (i64.sub (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)) (i64.const 8)))
      (then (return (i64.const 0))))
    (i64.load (i32.wrap_i64 (local.get $p))))

  (func (export "store_u8") (param $p i64) (param $v i32)
    (if (i64.ge_u (local.get $p) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then (return)))
    (if (i64.lt_u (local.get $p) (i64.const 16))
      (then (return)))
    (i32.store8 (i32.wrap_i64 (local.get $p)) (local.get $v)))

  (func (export "store_u64") (param $p i64) (param $v i64)
    (if (i64.gt_u (local.get $p)
                  (i64.sub (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)) (i64.const 8)))
      (then (return)))
    (if (i64.lt_u (local.get $p) (i64.const 16))
      (then (return)))
    (i64.store (i32.wrap_i64 (local.get $p)) (local.get $v)))

  (func (export "input_length") (result i64)
    (i64.load (i32.const 8)))

  (func (export "input_offset") (result i64)
    (i64.load (i32.const 0)))

  ;; Input loads are relative to the input block and bounded by its length.
  ;; The host keeps the input block inside the memory, so offset + i is in
  ;; bounds whenever i is below the length.
  (func (export "input_load_u8") (param $i i64) (result i32)
    (if (i64.ge_u (local.get $i) (i64.load (i32.const 8)))
      (then (return (i32.const 0))))
    (i32.load8_u (i32.wrap_i64 (i64.add (i64.load (i32.const 0)) (local.get $i)))))

  (func (export "input_load_u64") (param $i i64) (result i64)
    (local $len i64)
    (local.set $len (i64.load (i32.const 8)))
    (if (i64.lt_u (local.get $len) (i64.const 8))
      (then (return (i64.const 0))))
    (if (i64.gt_u (local.get $i) (i64.sub (local.get $len) (i64.const 8)))
      (then (return (i64.const 0))))
    (i64.load (i32.wrap_i64 (i64.add (i64.load (i32.const 0)) (local.get $i)))))
)
