/* count_vowels in C: same behaviour as the Rust and AssemblyScript builds.
 * Vowel set from config key "vowels" (default "aeiouAEIOU"); running total in
 * var "total" as an 8-byte little-endian u64; output
 * {"count":N,"total":T,"vowels":"..."}. Counts bytes, so the vowel set is
 * expected to be ASCII.
 */
#include <stdlib.h>
#include <string.h>
#include "extism_env.h"

static const char DEFAULT_VOWELS[] = "aeiouAEIOU";

static void fail(const char *msg) {
  extism_error_set(extism_alloc_bytes(msg, strlen(msg)));
}

/* Value of a string-keyed lookup (config_get / var_get) as a malloc'd,
 * NUL-terminated buffer; NULL when absent. *len gets the byte length. */
static char *lookup(extism_handle (*get)(extism_handle), const char *key, uint64_t *len) {
  extism_handle k = extism_alloc_bytes(key, strlen(key));
  extism_handle v = get(k); /* the host frees the key */
  if (v == 0) return NULL;
  uint64_t n = extism_length(v);
  if (n == 0) return NULL;
  char *buf = malloc(n + 1);
  if (buf == NULL) return NULL;
  extism_load(v, buf, n);
  buf[n] = 0;
  extism_free(v);
  *len = n;
  return buf;
}

static void put_u64_dec(char **w, uint64_t v) {
  char tmp[21];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *(*w)++ = tmp[--n];
}

EXTISM_EXPORT(count_vowels) int32_t count_vowels(void) {
  uint64_t in_len = extism_input_length();
  char *input = malloc(in_len + 1);
  if (input == NULL) { fail("out of memory"); return 1; }
  extism_load_input(input, in_len);

  uint64_t vlen = 0;
  char *configured = lookup(extism_config_get, "vowels", &vlen);
  const char *vowels = configured ? configured : DEFAULT_VOWELS;
  if (!configured) vlen = sizeof(DEFAULT_VOWELS) - 1;

  uint64_t count = 0;
  for (uint64_t i = 0; i < in_len; i++) {
    if (input[i] != 0 && memchr(vowels, input[i], vlen) != NULL) count++;
  }

  uint64_t total = 0, tlen = 0;
  char *stored = lookup(extism_var_get, "total", &tlen);
  if (stored && tlen >= 8) {
    for (int i = 7; i >= 0; i--) total = (total << 8) | (uint8_t)stored[i];
  }
  free(stored);
  total += count;

  uint8_t le[8];
  for (int i = 0; i < 8; i++) le[i] = (uint8_t)(total >> (8 * i));
  extism_handle key = extism_alloc_bytes("total", 5);
  extism_var_set(key, extism_alloc_bytes(le, 8));

  /* {"count":N,"total":T,"vowels":"..."}: 2 chars per vowel when escaped */
  char *json = malloc(64 + 2 * vlen);
  if (json == NULL) { fail("out of memory"); return 1; }
  char *w = json;
  memcpy(w, "{\"count\":", 9); w += 9;
  put_u64_dec(&w, count);
  memcpy(w, ",\"total\":", 9); w += 9;
  put_u64_dec(&w, total);
  memcpy(w, ",\"vowels\":\"", 11); w += 11;
  for (uint64_t i = 0; i < vlen; i++) {
    if (vowels[i] == '"' || vowels[i] == '\\') *w++ = '\\';
    *w++ = vowels[i];
  }
  *w++ = '"';
  *w++ = '}';
  size_t out_len = (size_t)(w - json);
  extism_output_set(extism_alloc_bytes(json, out_len), out_len);

  free(json);
  free(configured);
  free(input);
  return 0;
}
