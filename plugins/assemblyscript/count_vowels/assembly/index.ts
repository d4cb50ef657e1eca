// count_vowels written with the official AssemblyScript PDK (@extism/as-pdk).
//
// Same behaviour as the Rust plug-in: the vowel set comes from config key
// `vowels` (default "aeiouAEIOU"), a running total is kept in the var
// `total` as an 8-byte little-endian u64, and the output is
// {"count":N,"total":T,"vowels":"..."}.
import { Config, Host, Memory, Var } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";

const DEFAULT_VOWELS = "aeiouAEIOU";

function readTotal(): u64 {
  const stored = Var.get("total");
  if (stored === null || stored.length < 8) {
    return 0;
  }
  let total: u64 = 0;
  for (let i = 7; i >= 0; i--) {
    total = (total << 8) | <u64>stored[i];
  }
  return total;
}

function writeTotal(total: u64): void {
  const bytes = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    bytes[i] = <u8>((total >> (<u64>i * 8)) & 0xff);
  }
  Var.set("total", bytes);
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == '"' || c == "\\") {
      out += "\\" + c;
    } else {
      out += c;
    }
  }
  return out + '"';
}

export function count_vowels(): i32 {
  const input = Host.inputString();
  const configured = Config.get("vowels");
  const vowels = configured === null ? DEFAULT_VOWELS : configured;

  let count: u64 = 0;
  for (let i = 0; i < input.length; i++) {
    if (vowels.includes(input.charAt(i))) {
      count++;
    }
  }

  const total = readTotal() + count;
  writeTotal(total);

  const json =
    '{"count":' + count.toString() +
    ',"total":' + total.toString() +
    ',"vowels":' + jsonString(vowels) + "}";
  // Host.outputString passes the UTF-16 length as the byte length: encode first.
  Host.output(Uint8Array.wrap(String.UTF8.encode(json)));
  return 0;
}

// AssemblyScript's default abort imports env.abort, which an Extism host does
// not provide. Report the message through error_set and trap instead.
function myAbort(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32,
): void {
  const text =
    (message === null ? "abort" : message) + " at " +
    (fileName === null ? "?" : fileName) + ":" +
    lineNumber.toString() + ":" + columnNumber.toString();
  const mem = Memory.allocateString(text);
  error_set(mem.offset);
  unreachable();
}
