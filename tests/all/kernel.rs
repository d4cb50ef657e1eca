//! The kernel functions of `extism:host/env` at their edges, driven by small
//! WAT plug-ins (ABI §2 and §3.1).
//!
//! Each probe collects `u64` values in the plug-in's own memory with `$emit`
//! and outputs them at the end (`$finish`), so that the output block does not
//! disturb what the probe measures; the test reads them back as
//! little-endian `u64`s.

use crate::support;

use extism_host::{Manifest, Plugin, Wasm};

/// A plug-in importing every kernel function, with `$emit` / `$finish`, and
/// `body` (export functions) inside.
fn probe_module(body: &str) -> String {
    format!(
        r#"
(module
{imports}
  (memory (export "memory") 2)
  (global $n (mut i32) (i32.const 0))
  (global $saved (mut i64) (i64.const 0))
  (func $emit (param $v i64)
    (i64.store (i32.mul (global.get $n) (i32.const 8)) (local.get $v))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func $emit32 (param $v i32) (call $emit (i64.extend_i32_u (local.get $v))))
  (func $finish (result i32)
    (local $p i64) (local $i i32) (local $len i64)
    (local.set $len (i64.extend_i32_u (i32.mul (global.get $n) (i32.const 8))))
    (local.set $p (call $alloc (local.get $len)))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (global.get $n)))
        (call $store_u64
          (i64.add (local.get $p) (i64.extend_i32_u (i32.mul (local.get $i) (i32.const 8))))
          (i64.load (i32.mul (local.get $i) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (call $output_set (local.get $p) (local.get $len))
    (global.set $n (i32.const 0))
    (i32.const 0))
  {body}
)"#,
        imports = kernel_imports!(),
    )
}

fn probe(body: &str) -> Plugin {
    let manifest = Manifest::new([Wasm::data(probe_module(body))]);
    Plugin::new(manifest, [], false).expect("the probe module loads")
}

/// Calls `function` and reads its output as little-endian `u64`s.
fn values(plugin: &mut Plugin, function: &str, input: &[u8]) -> Vec<u64> {
    let output = plugin
        .call_bytes(function, input)
        .unwrap_or_else(|e| panic!("{function}: {e}"));
    assert_eq!(
        output.len() % 8,
        0,
        "{function}: output is not a list of u64"
    );
    output
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

#[test]
fn alloc_zero_is_null_and_lengths_are_exact() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $p i64) (local $q i64)
    (call $emit (call $alloc (i64.const 0)))            ;; 0: alloc(0) = 0
    (local.set $p (call $alloc (i64.const 10)))
    (call $emit32 (i64.ne (local.get $p) (i64.const 0))) ;; 1: a real block
    (call $emit (call $length (local.get $p)))          ;; 2: 10
    (call $emit (call $length_unsafe (local.get $p)))   ;; 3: 10
    (call $emit (call $length (i64.add (local.get $p) (i64.const 1)))) ;; 4: inside a block: 0
    (call $emit (call $length (i64.const 0)))           ;; 5: null: 0
    (call $emit (call $length (i64.const 0xFFFFFFFFFF))) ;; 6: far away: 0
    (call $emit (call $length (i64.const -1)))          ;; 7: 0
    (call $emit (call $length_unsafe (i64.add (local.get $p) (i64.const 3)))) ;; 8: never traps, 0 here
    ;; A larger freed block reused for a smaller request keeps the exact length.
    (local.set $q (call $alloc (i64.const 100)))
    (call $free (local.get $q))
    (local.set $q (call $alloc (i64.const 3)))
    (call $emit (call $length (local.get $q)))          ;; 9: 3
    (call $emit (call $length (call $alloc (i64.const 1)))) ;; 10: 1
    (call $finish))
"#,
    );
    assert_eq!(
        values(&mut plugin, "run", b""),
        [0, 1, 10, 10, 0, 0, 0, 0, 0, 3, 1]
    );
}

#[test]
fn double_free_and_bogus_frees_are_harmless() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $p i64) (local $q i64) (local $r i64)
    (local.set $p (call $alloc (i64.const 16)))
    (call $free (local.get $p))
    (call $free (local.get $p))                        ;; double free
    (call $free (i64.const 0))                         ;; null
    (call $free (i64.add (local.get $p) (i64.const 3))) ;; not a block start
    (call $free (i64.const 0xFFFFFFF00))               ;; outside the memory
    (call $free (i64.const -1))
    (call $emit (call $length (local.get $p)))         ;; 0: freed
    ;; Two live blocks, then a stale free of the first one's old offset must
    ;; not release whichever block took its place.
    (local.set $q (call $alloc (i64.const 16)))
    (local.set $r (call $alloc (i64.const 16)))
    (call $store_u64 (local.get $q) (i64.const 0x1111))
    (call $store_u64 (local.get $r) (i64.const 0x2222))
    (call $free (local.get $q))
    (call $free (local.get $q))                        ;; double free of q
    (call $emit (call $length (local.get $r)))         ;; 1: r still 16
    (call $emit (call $load_u64 (local.get $r)))       ;; 2: r's data intact
    (call $finish))
"#,
    );
    assert_eq!(values(&mut plugin, "run", b""), [0, 16, 0x2222]);
    // And the plug-in keeps working.
    assert_eq!(values(&mut plugin, "run", b"again"), [0, 16, 0x2222]);
}

#[test]
fn out_of_bounds_loads_return_zero_and_stores_are_ignored() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $p i64)
    (call $store_u64 (i64.const 0xFFFFFFFFFF) (i64.const 1))
    (call $store_u8 (i64.const 0xFFFFFFFFFF) (i32.const 1))
    (call $store_u64 (i64.const -1) (i64.const 1))
    (call $store_u8 (i64.const -8) (i32.const 1))
    (call $emit (call $load_u64 (i64.const 0xFFFFFFFFFF)))  ;; 0
    (call $emit32 (call $load_u8 (i64.const 0xFFFFFFFFFF)))  ;; 1
    (call $emit (call $load_u64 (i64.const -1)))            ;; 2
    (call $emit32 (call $load_u8 (i64.const -1)))            ;; 3
    (call $emit (call $load_u64 (i64.const -7)))            ;; 4: would wrap past 2^64
    ;; In bounds, unaligned, inside a block: 8 bytes round-trip.
    (local.set $p (call $alloc (i64.const 32)))
    (call $store_u64 (i64.add (local.get $p) (i64.const 3)) (i64.const 0x0102030405060708))
    (call $emit (call $load_u64 (i64.add (local.get $p) (i64.const 3)))) ;; 5
    (call $emit32 (call $load_u8 (i64.add (local.get $p) (i64.const 3)))) ;; 6: little-endian low byte
    (call $store_u8 (local.get $p) (i32.const 0x1FF))                    ;; only the low byte
    (call $emit32 (call $load_u8 (local.get $p)))                         ;; 7: 0xFF
    (call $finish))
"#,
    );
    assert_eq!(
        values(&mut plugin, "run", b""),
        [0, 0, 0, 0, 0, 0x0102030405060708, 0x08, 0xFF]
    );
}

#[test]
fn accesses_around_the_end_of_kernel_memory_do_not_trap() {
    // Grow the kernel memory with a big block, then load and store at every
    // offset from the block's end to well past the end of the memory (which
    // is a few pages further): nothing traps, fresh memory reads as 0 and an
    // access that would cross the end reads as 0 / is ignored.
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $p i64) (local $end i64) (local $at i64) (local $seen i64)
    (local.set $p (call $alloc (i64.const 200000)))
    (local.set $end (i64.add (local.get $p) (i64.const 200000)))
    (call $store_u8 (i64.sub (local.get $end) (i64.const 1)) (i32.const 7))
    (call $emit32 (call $load_u8 (i64.sub (local.get $end) (i64.const 1)))) ;; 0: 7
    (local.set $at (local.get $end))
    (block $done
      (loop $scan
        (br_if $done (i64.ge_u (local.get $at) (i64.add (local.get $end) (i64.const 140000))))
        (local.set $seen (i64.or (local.get $seen) (call $load_u64 (local.get $at))))
        (local.set $seen (i64.or (local.get $seen)
                                 (i64.extend_i32_u (call $load_u8 (local.get $at)))))
        (call $store_u64 (local.get $at) (i64.const 0))
        (call $store_u8 (local.get $at) (i32.const 0))
        (local.set $at (i64.add (local.get $at) (i64.const 1)))
        (br $scan)))
    (call $emit (local.get $seen))                                           ;; 1: 0
    (call $emit32 (call $load_u8 (i64.const 0x100000000)))                   ;; 2: 4 GiB: 0
    (call $emit (call $load_u64 (i64.const 0xFFFFFFFC)))                     ;; 3: straddles 4 GiB: 0
    (call $finish))
"#,
    );
    assert_eq!(values(&mut plugin, "run", b""), [7, 0, 0, 0]);
}

#[test]
fn input_loads_are_relative_and_bounded() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $n i64)
    (local.set $n (call $input_length))
    (call $emit (local.get $n))                                        ;; 0: length
    (call $emit (call $input_load_u64 (i64.const 0)))                  ;; 1: first 8 bytes
    (call $emit (call $input_load_u64 (i64.sub (local.get $n) (i64.const 8)))) ;; 2: last 8 bytes
    (call $emit (call $input_load_u64 (i64.sub (local.get $n) (i64.const 7)))) ;; 3: would pass the end: 0
    (call $emit32 (call $input_load_u8 (i64.sub (local.get $n) (i64.const 1)))) ;; 4: last byte
    (call $emit32 (call $input_load_u8 (local.get $n)))                ;; 5: past the end: 0
    (call $emit32 (call $input_load_u8 (i64.const -1)))                ;; 6: 0
    (call $emit (call $input_load_u64 (i64.const -1)))                 ;; 7: 0
    (call $emit (call $length (call $input_offset)))                   ;; 8: the input is a block
    (call $emit32 (call $load_u8 (call $input_offset)))                ;; 9: absolute access works too
    (call $finish))
"#,
    );
    let input = b"0123456789ab";
    let first = u64::from_le_bytes(input[..8].try_into().expect("8 bytes"));
    let last = u64::from_le_bytes(input[4..].try_into().expect("8 bytes"));
    assert_eq!(
        values(&mut plugin, "run", input),
        [
            12,
            first,
            last,
            0,
            u64::from(b'b'),
            0,
            0,
            0,
            12,
            u64::from(b'0')
        ]
    );
    // Shorter than 8 bytes: no u64 fits, bytes do.
    let v = values(&mut plugin, "run", b"abc");
    assert_eq!(v[0], 3);
    assert_eq!(v[1], 0, "input_load_u64(0) on a 3-byte input");
    assert_eq!(v[4], u64::from(b'c'));
    assert_eq!(v[5], 0);
    // No input at all: length 0, offset 0, every load 0.
    let v = values(&mut plugin, "run", b"");
    assert_eq!(v, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn freeing_the_input_block_empties_the_input() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $p i64)
    (call $emit (call $input_length))                        ;; 0: 5
    (local.set $p (call $input_offset))
    (call $free (local.get $p))
    (call $emit (call $input_length))                        ;; 1: 0
    (call $emit32 (call $input_load_u8 (i64.const 0)))        ;; 2: 0
    (call $emit (call $length (local.get $p)))               ;; 3: no longer a block
    ;; Its space can be handed out again without harm.
    (local.set $p (call $alloc (i64.const 5)))
    (call $store_u8 (local.get $p) (i32.const 33))
    (call $emit32 (call $input_load_u8 (i64.const 0)))        ;; 4: still 0
    (call $finish))
"#,
    );
    assert_eq!(values(&mut plugin, "run", b"hello"), [5, 0, 0, 0, 0]);
    // The next call has its input again.
    assert_eq!(values(&mut plugin, "run", b"world")[0], 5);
}

#[test]
fn blocks_do_not_survive_the_call_and_offsets_restart() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $p i64)
    ;; The block saved by the previous call is gone.
    (call $emit (call $length (global.get $saved)))          ;; 0: 0 (or 0 on the first call)
    (local.set $p (call $alloc (i64.const 24)))
    (global.set $saved (local.get $p))
    (call $emit (local.get $p))                              ;; 1: the offset
    (call $emit (call $length (local.get $p)))               ;; 2: 24
    (call $finish))
"#,
    );
    let first = values(&mut plugin, "run", b"");
    let second = values(&mut plugin, "run", b"");
    assert_eq!(first[0], 0);
    // Same allocations in the same order: the same offset (reset is deterministic)...
    assert_eq!(second[1], first[1]);
    // ...yet the previous call's block is not live (length 0 before this
    // call's own alloc of that offset).
    assert_eq!(second[0], 0, "a block of the previous call is still live");
    assert_eq!(second[2], 24);
    assert_ne!(first[1], 0);
    assert!(first[1] < 1 << 32, "offsets stay below 2^32");
}

#[test]
fn thousands_of_allocations_in_one_call() {
    // 20000 live blocks of 1..=64 bytes, each tagged with its index, then
    // every block checked (length and content), then all freed and one more
    // round of allocations: a wrong length, a shared block or a lost block
    // shows up as a mismatch count.
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (local $i i64) (local $p i64) (local $bad i64) (local $len i64) (local $base i32)
    (local $count i64)
    (local.set $count (i64.const 20000))
    ;; offsets are kept in this module's memory from 64 KiB on (8 bytes each)
    (local.set $base (i32.const 65536))
    (memory.grow (i32.const 3)) drop
    (block $done (loop $fill
      (br_if $done (i64.ge_u (local.get $i) (local.get $count)))
      (local.set $len (i64.add (i64.rem_u (local.get $i) (i64.const 64)) (i64.const 1)))
      (local.set $p (call $alloc (local.get $len)))
      (if (i64.eqz (local.get $p)) (then (local.set $bad (i64.add (local.get $bad) (i64.const 1)))))
      (i64.store (i32.add (local.get $base) (i32.wrap_i64 (i64.mul (local.get $i) (i64.const 8))))
                 (local.get $p))
      (call $store_u8 (local.get $p) (i32.wrap_i64 (local.get $i)))
      (call $store_u8 (i64.sub (i64.add (local.get $p) (local.get $len)) (i64.const 1))
                      (i32.wrap_i64 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $fill)))
    (local.set $i (i64.const 0))
    (block $done (loop $check
      (br_if $done (i64.ge_u (local.get $i) (local.get $count)))
      (local.set $len (i64.add (i64.rem_u (local.get $i) (i64.const 64)) (i64.const 1)))
      (local.set $p (i64.load (i32.add (local.get $base)
                                       (i32.wrap_i64 (i64.mul (local.get $i) (i64.const 8))))))
      (if (i64.ne (call $length (local.get $p)) (local.get $len))
        (then (local.set $bad (i64.add (local.get $bad) (i64.const 1)))))
      (if (i32.ne (call $load_u8 (local.get $p)) (i32.and (i32.wrap_i64 (local.get $i)) (i32.const 255)))
        (then (local.set $bad (i64.add (local.get $bad) (i64.const 1)))))
      (if (i32.ne (call $load_u8 (i64.sub (i64.add (local.get $p) (local.get $len)) (i64.const 1)))
                  (i32.and (i32.wrap_i64 (local.get $i)) (i32.const 255)))
        (then (local.set $bad (i64.add (local.get $bad) (i64.const 1)))))
      (call $free (local.get $p))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $check)))
    (call $emit (local.get $bad))                              ;; 0: mismatches
    ;; After freeing everything, a large block fits in the reclaimed space
    ;; and has its exact length.
    (local.set $p (call $alloc (i64.const 100000)))
    (call $emit (call $length (local.get $p)))                 ;; 1: 100000
    (call $finish))
"#,
    );
    assert_eq!(values(&mut plugin, "run", b""), [0, 100_000]);
    // The same again in a second call (the kernel was reset in between).
    assert_eq!(values(&mut plugin, "run", b"x"), [0, 100_000]);
}

#[test]
fn many_allocations_through_the_rust_pdk() {
    let mut plugin = Plugin::new(
        Manifest::new([support::plugin_wasm("kitchen.rust.wasm")]),
        [],
        false,
    )
    .expect("kitchen loads");
    for n in ["5000", "0", "1"] {
        let output = plugin
            .call_bytes("alloc_many", n.as_bytes())
            .unwrap_or_else(|e| panic!("alloc_many({n}): {e}"));
        assert_eq!(output, b"ok");
    }
}

#[test]
fn output_ranges_outside_the_blocks_are_ignored() {
    let mut plugin = probe(
        r#"
  (func (export "outside") (result i32)
    (call $output_set (i64.const 0xFFFFFFF00) (i64.const 16))
    (i32.const 0))
  (func (export "too_long") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 4)))
    (call $output_set (local.get $p) (i64.const 0x7FFFFFFF0))
    (i32.const 0))
  (func (export "wraps") (result i32)
    (call $output_set (call $alloc (i64.const 4)) (i64.const -1))
    (i32.const 0))
  (func (export "set_then_cleared") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 2)))
    (call $store_u8 (local.get $p) (i32.const 65))
    (call $output_set (local.get $p) (i64.const 1))
    (call $output_set (local.get $p) (i64.const 0))
    (i32.const 0))
  (func (export "inside_a_block") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 4)))
    (call $store_u64 (local.get $p) (i64.const 0x44434241))
    (call $output_set (i64.add (local.get $p) (i64.const 1)) (i64.const 2))
    (i32.const 0))
"#,
    );
    for function in ["outside", "too_long", "wraps", "set_then_cleared"] {
        let output = plugin
            .call_bytes(function, b"")
            .unwrap_or_else(|e| panic!("{function}: {e}"));
        assert_eq!(output, b"", "{function}");
    }
    // Need not be a block start: any range inside the blocks.
    assert_eq!(
        plugin.call_bytes("inside_a_block", b"").expect("inside"),
        b"BC"
    );
}

#[test]
fn error_set_zero_clears_the_error() {
    let mut plugin = probe(
        r#"
  (func (export "set_and_clear") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (i32.const 69))
    (call $error_set (local.get $p))
    (call $error_set (i64.const 0))
    (i32.const 0))
  (func (export "set") (result i32)
    (local $p i64)
    (local.set $p (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $p) (i32.const 69))
    (call $error_set (local.get $p))
    (i32.const 0))
"#,
    );
    assert_eq!(
        plugin.call_bytes("set_and_clear", b"").expect("cleared"),
        b""
    );
    match plugin.call_bytes("set", b"") {
        Err(extism_host::Error::Plugin { message, code, .. }) => {
            assert_eq!((message.as_str(), code), ("E", 0));
        }
        other => panic!("expected the error block, got {other:?}"),
    }
    // The error does not leak into the next call.
    assert_eq!(
        plugin.call_bytes("set_and_clear", b"").expect("next call"),
        b""
    );
}

#[test]
fn absurd_allocations_return_null() {
    let mut plugin = probe(
        r#"
  (func (export "run") (result i32)
    (call $emit (call $alloc (i64.const -1)))              ;; 0: u64::MAX
    (call $emit (call $alloc (i64.const 0x10000000000)))   ;; 1: 1 TiB
    (call $emit (call $alloc (i64.const 0x100000000)))     ;; 2: 4 GiB: cannot fit in a 32-bit memory
    (call $emit (call $length (call $alloc (i64.const 8)))) ;; 3: the kernel still works: 8
    (call $finish))
"#,
    );
    assert_eq!(values(&mut plugin, "run", b""), [0, 0, 0, 8]);
}

#[test]
fn kernel_memory_counts_against_max_pages() {
    // One budget of max_pages for the growth of every memory of the plug-in,
    // the kernel's included (ABI §8.3).
    let manifest = Manifest::new([Wasm::data(probe_module(
        r#"
  (func (export "grow") (result i32)
    (call $emit (call $length (call $alloc (i64.extend_i32_u (call $input_length_u32)))))
    (call $finish))
  (func $input_length_u32 (result i32)
    ;; the input is a decimal number of bytes
    (local $i i64) (local $n i32)
    (block $done (loop $digits
      (br_if $done (i64.ge_u (local.get $i) (call $input_length)))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
                             (i32.sub (call $input_load_u8 (local.get $i)) (i32.const 48))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $digits)))
    (local.get $n))
"#,
    ))])
    .with_max_pages(2);
    let mut plugin = Plugin::new(manifest, [], false).expect("loads");
    // 100 000 bytes: the kernel grows by one page.
    assert_eq!(values(&mut plugin, "grow", b"100000"), [100_000]);
    // 300 000 bytes would need four more pages than the budget allows.
    match plugin.call_bytes("grow", b"300000") {
        Err(extism_host::Error::MemoryLimit { max_pages, .. }) => assert_eq!(max_pages, 2),
        other => panic!("expected Error::MemoryLimit, got {other:?}"),
    }
    // The plug-in still answers within its budget.
    assert_eq!(values(&mut plugin, "grow", b"1000"), [1000]);
}

#[test]
fn an_input_over_the_memory_limit_is_refused() {
    let manifest = Manifest::new([Wasm::data(probe_module(
        r#"
  (func (export "len") (result i32)
    (call $emit (call $input_length))
    (call $finish))
"#,
    ))])
    .with_max_pages(2);
    let mut plugin = Plugin::new(manifest, [], false).expect("loads");
    // Copying 300 000 bytes of input needs more kernel pages than allowed.
    let big = vec![b'x'; 300_000];
    match plugin.call_bytes("len", &big) {
        Err(extism_host::Error::MemoryLimit { max_pages, .. }) => assert_eq!(max_pages, 2),
        other => panic!("expected Error::MemoryLimit, got {other:?}"),
    }
    assert_eq!(values(&mut plugin, "len", b"small"), [5]);
}

#[test]
fn kernel_imports_are_checked_at_load() {
    let load = |import: &str| {
        let wat = format!(r#"(module {import} (func (export "run") (result i32) (i32.const 0)))"#);
        Plugin::new(Manifest::new([Wasm::data(wat)]), [], false).expect_err("the import is refused")
    };
    // A kernel function with the wrong type.
    match load(r#"(import "extism:host/env" "alloc" (func (param i32) (result i32)))"#) {
        extism_host::Error::Link {
            import,
            signature,
            reason,
            ..
        } => {
            assert_eq!(import, "extism:host/env::alloc");
            assert_eq!(signature, "(func (i32) -> (i32))");
            assert!(reason.contains("(func (i64) -> (i64))"), "{reason}");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
    // Only functions can be imported from the kernel.
    match load(r#"(import "extism:host/env" "memory" (memory 1))"#) {
        extism_host::Error::Link { import, reason, .. } => {
            assert_eq!(import, "extism:host/env::memory");
            assert!(reason.contains("only functions"), "{reason}");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
    // A name the kernel does not have.
    match load(r#"(import "extism:host/env" "alloc_fast" (func (param i64) (result i64)))"#) {
        extism_host::Error::Link { import, reason, .. } => {
            assert_eq!(import, "extism:host/env::alloc_fast");
            assert!(reason.contains("not an Extism kernel function"), "{reason}");
        }
        other => panic!("expected Error::Link, got {other:?}"),
    }
}

#[test]
fn a_stale_free_of_a_service_argument_spares_the_result() {
    // Some PDKs free the key they gave to config_get / var_get although the
    // host already freed it. The result must not have taken the key's slot,
    // or that stale free would release it (ABI §2).
    let module = concat!(
        "(module",
        kernel_imports!(),
        r#"
  (memory (export "memory") 1)
  (func $key (result i64)
    (local $k i64)
    (local.set $k (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $k) (i32.const 107)) ;; "k"
    (local.get $k))
  (func $stale (param $get i32) (result i32)
    (local $k i64) (local $r i64)
    (local.set $k (call $key))
    (local.set $r
      (if (result i64) (local.get $get)
        (then (call $var_get (local.get $k)))
        (else (call $config_get (local.get $k)))))
    (call $free (local.get $k))
    ;; a new allocation must not land on the result either
    (drop (call $alloc (i64.const 5)))
    (call $output_set (local.get $r) (call $length (local.get $r)))
    (i32.const 0))
  (func (export "config") (result i32) (call $stale (i32.const 0)))
  (func (export "var") (result i32) (call $stale (i32.const 1))))"#
    );
    let manifest = Manifest::new([Wasm::data(module)]).with_config("k", "config value");
    let mut plugin = Plugin::new(manifest, [], false).expect("loads");
    plugin.set_var("k", b"var value").expect("a var");
    assert_eq!(
        plugin.call_bytes("config", b"").expect("config"),
        b"config value"
    );
    assert_eq!(plugin.call_bytes("var", b"").expect("var"), b"var value");
}
