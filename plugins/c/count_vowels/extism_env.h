/* extism_env.h - declarations of the Extism host ABI (module "extism:host/env")
 * for plug-ins written in C. Written for this project's test plug-ins; see
 * docs/abi.md section 3 for the semantics of every function.
 *
 * Offsets and lengths are u64 (wasm i64); *_u8 values are i32 at the wasm
 * level. Offset 0 means "no block".
 */
#ifndef EXTISM_ENV_H
#define EXTISM_ENV_H

#include <stdint.h>
#include <stddef.h>

typedef uint64_t extism_handle;

#define EXTISM_ENV(name) __attribute__((import_module("extism:host/env"), import_name(#name)))
#define EXTISM_EXPORT(name) __attribute__((export_name(#name)))

/* kernel: memory blocks */
EXTISM_ENV(alloc) extism_handle extism_alloc(uint64_t n);
EXTISM_ENV(free) void extism_free(extism_handle p);
EXTISM_ENV(length) uint64_t extism_length(extism_handle p);
EXTISM_ENV(load_u8) uint8_t extism_load_u8(extism_handle p);
EXTISM_ENV(load_u64) uint64_t extism_load_u64(extism_handle p);
EXTISM_ENV(store_u8) void extism_store_u8(extism_handle p, uint8_t v);
EXTISM_ENV(store_u64) void extism_store_u64(extism_handle p, uint64_t v);

/* kernel: input, output, error */
EXTISM_ENV(input_length) uint64_t extism_input_length(void);
EXTISM_ENV(input_load_u8) uint8_t extism_input_load_u8(uint64_t i);
EXTISM_ENV(input_load_u64) uint64_t extism_input_load_u64(uint64_t i);
EXTISM_ENV(output_set) void extism_output_set(extism_handle p, uint64_t len);
EXTISM_ENV(error_set) void extism_error_set(extism_handle p);

/* host services */
EXTISM_ENV(config_get) extism_handle extism_config_get(extism_handle key);
EXTISM_ENV(var_get) extism_handle extism_var_get(extism_handle key);
EXTISM_ENV(var_set) void extism_var_set(extism_handle key, extism_handle value);

/* helpers (static inline: only what a plug-in uses ends up in the module) */

/* Copy n bytes from plug-in memory into kernel memory at p. */
static inline void extism_store(extism_handle p, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    __builtin_memcpy(&v, s + i, 8);
    extism_store_u64(p + i, v);
  }
  for (; i < n; i++) extism_store_u8(p + i, s[i]);
}

/* Copy n bytes from kernel memory at p into plug-in memory. */
static inline void extism_load(extism_handle p, void *dst, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = extism_load_u64(p + i);
    __builtin_memcpy(d + i, &v, 8);
  }
  for (; i < n; i++) d[i] = extism_load_u8(p + i);
}

/* Copy the whole input into plug-in memory (8 bytes at a time). */
static inline void extism_load_input(void *dst, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = extism_input_load_u64(i);
    __builtin_memcpy(d + i, &v, 8);
  }
  for (; i < n; i++) d[i] = extism_input_load_u8(i);
}

/* A new kernel block holding a copy of the bytes (0 for n == 0). */
static inline extism_handle extism_alloc_bytes(const void *src, size_t n) {
  extism_handle p = extism_alloc(n);
  if (p != 0) extism_store(p, src, n);
  return p;
}

#endif
