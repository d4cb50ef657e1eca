#!/usr/bin/env python3
"""Record golden results of the test plug-ins on the reference Extism runtime.

Reads tests/golden/cases.json, runs every case on the official Python SDK
(PyPI `extism` 1.1.1, which bundles libextism 1.41.0 as `extism-sys`) and
writes tests/golden/results.json. Run it through plugins/record-goldens.sh,
which creates the virtualenv.

    record_goldens.py                 record, write results.json
    record_goldens.py --check         record, compare with results.json, write nothing
    record_goldens.py --only PREFIX   record only the cases whose name starts with PREFIX

Calls go through libextism's C API (`extism_plugin_call`) rather than
`Plugin.call`, so the return code and a non-UTF-8 error text can be recorded
too. The log subscriber of libextism is process-global, so the cases are run
in one worker subprocess per distinct `log_level`.

cases.json is a list of objects:

    name            unique, "<plugin>.<what>"
    wasm            path relative to the repository root
    hash            optional sha256 hex put in the manifest's wasm entry
    linked          optional [{"wasm": PATH, "name": NAME}, ...]: modules listed before
                    `wasm` in the manifest, which other modules import by NAME
    wasi            bool (default false)
    config          manifest config object, or null
    memory          manifest memory object ({"max_pages", "max_var_bytes", ...}), or null
    timeout_ms      manifest timeout_ms, or null
    allowed_paths   {"<host>": "<guest>"}; "{tmp}" in a host path is replaced by a
                    fresh temporary directory (the recorder creates it)
    files           {"<relative path>": "<text>"} written into {tmp} before loading
    allowed_hosts   manifest allowed_hosts, or null
    http_server     {"routes": {"/path": {"status": 200, "body": "..." | "body_repeat":
                    {"text", "times"} | "echo": true, "headers": {...}}}}: the recorder serves these on
                    127.0.0.1 (random port) for the case; "{http}" in a text input is
                    replaced by "http://127.0.0.1:PORT" (and back in recorded texts);
                    an "echo" route answers "METHOD X-TEST-HEADER BODY" of the request
    host_functions  null, "kv", "echo" or "pantry" (see HOST_FUNCTION_SETS below)
    log_level       null (no log subscriber: guests see level "off") or
                    "trace" | "debug" | "info" | "warn" | "error"
    calls           list of {"function": NAME} plus one of
                      "input": text, "input_b64": base64,
                      "input_repeat": {"text": T, "times": N}  (T repeated N times)
                    (no input key = empty input)

results.json:

    {"recorded_with": {...versions...},
     "cases": {NAME: {"load_error": TEXT}
                   | {"calls": [CALL, ...], "host_state"?: ..., "files_after"?: ...,
                      "http_requests"?: [[METHOD, PATH], ...]}}}

    CALL = {"function", "rc", "ok": true,  "output"?, "output_b64"?, "output_len", "output_sha256"?}
         | {"function", "rc", "ok": false, "error" | "error_b64", "error_detail"?, "output_len"}
         plus "logs": [[LEVEL, MESSAGE], ...] when the case has a log_level.

"error" is the text extism_plugin_error returns (what every SDK built on the C
API shows: for a trap or a host-function error only the outermost context,
"error while executing at wasm backtrace: ..."). "error_detail" is the same
error's Debug form as libextism logs it, with the "Caused by:" chain (e.g.
"wasm trap: wasm `unreachable` instruction executed", "Vars are disabled by
this host") and without the host stack backtrace; it is present only when it
adds something. Cases without a log_level are run a second time under an
error-only log subscriber to collect it.

"rc" is what extism_plugin_call returned (the plug-in's return code, or the
runtime's code for traps and host errors); "ok" is false whenever the runtime
reported an error text. Outputs over 4096 bytes are recorded as length and
SHA-256 only; "output" is omitted when the bytes are not UTF-8. Any text that
contains the temporary directory has it replaced by "{tmp}".
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CASES = os.path.join(ROOT, "tests", "golden", "cases.json")
DEFAULT_RESULTS = os.path.join(ROOT, "tests", "golden", "results.json")

MAX_INLINE_OUTPUT = 4096
LOG_LEVELS = ("trace", "debug", "info", "warn", "error")
CASE_KEYS = {
    "name", "wasm", "hash", "wasi", "config", "memory", "timeout_ms", "allowed_paths",
    "allowed_hosts", "files", "host_functions", "log_level", "calls", "description",
    "http_server", "linked",
}
CALL_KEYS = {"function", "input", "input_b64", "input_repeat", "description"}
# "<timestamp> LEVEL extism::pdk: MESSAGE plugin="<uuid>"" (tracing's fmt layer)
PDK_LOG_LINE = re.compile(
    r'^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR) extism::pdk: (.*) plugin="[0-9a-f-]+"\s*$', re.S
)
# libextism logs every failed call with the error's Debug form, which (unlike
# the text extism_plugin_error returns) includes the "Caused by:" chain.
CALL_ERROR_LINE = re.compile(
    r'^\S+\s+ERROR extism::plugin: call to .* encountered an error: (.*?)'
    r'(?:\n+Stack backtrace:.*)?\s*(?:plugin="[0-9a-f-]+")?\s*$', re.S
)
# Log directive of the extra run that only collects error details for cases
# without a log level (any subscriber makes guests see a level other than "off").
CHAIN_ONLY_DIRECTIVE = "extism::plugin=error"


# --------------------------------------------------------------------------- cases

def load_cases(path):
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    if not isinstance(cases, list):
        raise SystemExit(f"{path}: expected a JSON list of cases")
    seen = set()
    for case in cases:
        name = case.get("name")
        if not name or name in seen:
            raise SystemExit(f"{path}: missing or duplicate case name {name!r}")
        seen.add(name)
        unknown = set(case) - CASE_KEYS
        if unknown:
            raise SystemExit(f"{path}: case {name}: unknown keys {sorted(unknown)}")
        for wasm in [case["wasm"], *(m["wasm"] for m in case.get("linked") or [])]:
            if not os.path.isfile(os.path.join(ROOT, wasm)):
                raise SystemExit(f"{path}: case {name}: no such file {wasm}")
        if case.get("host_functions") not in (None, *HOST_FUNCTION_SETS):
            raise SystemExit(f"{path}: case {name}: unknown host_functions {case['host_functions']!r}")
        if case.get("log_level") not in (None, *LOG_LEVELS):
            raise SystemExit(f"{path}: case {name}: unknown log_level {case['log_level']!r}")
        for call in case["calls"]:
            unknown = set(call) - CALL_KEYS
            if unknown or "function" not in call:
                raise SystemExit(f"{path}: case {name}: bad call {call}")
            if sum(k in call for k in ("input", "input_b64", "input_repeat")) > 1:
                raise SystemExit(f"{path}: case {name}: more than one input in {call}")
    return cases


def call_input(call, http_base=None):
    if "input" in call:
        text = call["input"]
        if http_base is not None:
            text = text.replace("{http}", http_base)
        return text.encode("utf-8")
    if "input_b64" in call:
        return base64.b64decode(call["input_b64"], validate=True)
    if "input_repeat" in call:
        rep = call["input_repeat"]
        return rep["text"].encode("utf-8") * int(rep["times"])
    return b""


# --------------------------------------------------------------------------- host functions
#
# Every set is implemented the same way by our Rust tests: keep them simple.
#
#   "kv":   kv_read(key: I64) -> I64   returns a new block with the stored bytes,
#                                      or 0 (no block) when the key is absent
#           kv_write(key: I64, value: I64)  stores the bytes of the value block
#           (namespace extism:host/user; the state is one dict per case)
#   "echo": echo(data: I64) -> I64     returns a new block with a copy of the bytes
#                                      (0 for empty input)
#   "pantry": lookupPerson(name: I64) -> I64  returns a new block with PANTRY_PERSON
#                                      (whatever the name)
#             recordVisit(visit: I64)  appends the block's text to the state's "visits"

def _make_kv():
    import extism

    store = {}
    i64 = extism.ValType.I64

    @extism.host_fn(name="kv_read", signature=([i64], [i64]))
    def kv_read(plugin, params, results, *_):
        key = plugin.input_string(params[0])
        value = store.get(key, b"")
        results[0].value = _new_block(plugin, value)

    @extism.host_fn(name="kv_write", signature=([i64, i64], []))
    def kv_write(plugin, params, results, *_):
        key = plugin.input_string(params[0])
        store[key] = plugin.input_bytes(params[1])

    def state():
        return {"kv": {k: base64.b64encode(v).decode() for k, v in sorted(store.items())}}

    return [kv_read, kv_write], state


def _make_echo():
    import extism

    counter = {"calls": 0}
    i64 = extism.ValType.I64

    @extism.host_fn(name="echo", signature=([i64], [i64]))
    def echo(plugin, params, results, *_):
        counter["calls"] += 1
        results[0].value = _new_block(plugin, plugin.input_bytes(params[0]))

    def state():
        return {"echo_calls": counter["calls"]}

    return [echo], state


# The Person (plugins/schemas/pantry.yaml) the "pantry" set's lookupPerson returns.
PANTRY_PERSON = b'{"name":"Ada","age":36,"favouriteFruit":"dragon-fruit"}'


def _make_pantry():
    import extism

    visits = []
    i64 = extism.ValType.I64

    @extism.host_fn(name="lookupPerson", signature=([i64], [i64]))
    def lookup_person(plugin, params, results, *_):
        results[0].value = _new_block(plugin, PANTRY_PERSON)

    @extism.host_fn(name="recordVisit", signature=([i64], []))
    def record_visit(plugin, params, results, *_):
        visits.append(plugin.input_string(params[0]))

    def state():
        return {"visits": list(visits)}

    return [lookup_person, record_visit], state


def _new_block(plugin, data):
    if not data:
        return 0
    mem = plugin.alloc(len(data))
    plugin.memory(mem)[:] = data
    return mem.offset


HOST_FUNCTION_SETS = {"kv": _make_kv, "echo": _make_echo, "pantry": _make_pantry}


# --------------------------------------------------------------------------- worker

class Recorder:
    """Runs cases in this process. `directive` is the libextism log filter
    (None: no subscriber); `pdk_logs` says whether guest log lines are recorded."""

    def __init__(self, directive, pdk_logs):
        import extism

        self.extism = extism
        self.lines = []
        self.logger = None
        self.pdk_logs = pdk_logs
        if directive is not None:
            self.logger = extism.set_log_custom(self.lines.append, directive)

    def drain_logs(self):
        """(guest log lines or None, error detail of the last call or None)"""
        if self.logger is None:
            return None, None
        self.logger.drain()
        logs, detail = [], None
        for line in self.lines:
            m = PDK_LOG_LINE.match(line)
            if m:
                logs.append([m.group(1), m.group(2)])
                continue
            m = CALL_ERROR_LINE.match(line)
            if m:
                detail = m.group(1).rstrip()
        self.lines.clear()
        return (logs if self.pdk_logs else None), detail

    def run_case(self, case):
        tmp = None
        server = None
        try:
            if case.get("allowed_paths") or case.get("files"):
                tmp = tempfile.mkdtemp(prefix="extism-golden-")
            if case.get("http_server") is not None:
                server = TestHttpServer(case["http_server"])
            return self._run_case(case, tmp, server)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if server is not None:
                server.close()

    def _run_case(self, case, tmp, server):
        from extism_sys import ffi, lib

        http_base = server.base if server else None

        def norm(text):
            if tmp:
                text = text.replace(tmp, "{tmp}")
            if http_base:
                text = text.replace(http_base, "{http}")
            return text

        for rel, text in (case.get("files") or {}).items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

        entry = {"path": os.path.join(ROOT, case["wasm"])}
        if case.get("hash"):
            entry["hash"] = case["hash"]
        linked = [
            {"path": os.path.join(ROOT, m["wasm"]), "name": m["name"]}
            for m in case.get("linked") or []
        ]
        manifest = {"wasm": [*linked, entry]}
        for key in ("config", "memory", "timeout_ms", "allowed_hosts"):
            if case.get(key) is not None:
                manifest[key] = case[key]
        if case.get("allowed_paths") is not None:
            manifest["allowed_paths"] = {
                host.replace("{tmp}", tmp): guest for host, guest in case["allowed_paths"].items()
            }

        functions, state = [], None
        if case.get("host_functions"):
            functions, state = HOST_FUNCTION_SETS[case["host_functions"]]()

        try:
            plugin = self.extism.Plugin(manifest, wasi=bool(case.get("wasi")), functions=functions)
        except self.extism.Error as e:
            self.drain_logs()
            return {"load_error": norm(str(e.args[0]) if e.args else str(e))}

        calls = []
        for call in case["calls"]:
            data = call_input(call, http_base)
            name = call["function"].encode()
            rc = lib.extism_plugin_call(plugin.plugin, name, data, len(data))
            err = lib.extism_plugin_error(plugin.plugin)
            out_len = lib.extism_plugin_output_length(plugin.plugin)
            rec = {"function": call["function"], "rc": rc, "output_len": out_len}
            if err != ffi.NULL:
                raw = ffi.string(err)
                rec["ok"] = False
                try:
                    rec["error"] = norm(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    rec["error_b64"] = base64.b64encode(raw).decode()
            else:
                rec["ok"] = rc == 0
                if out_len > (1 << 31):
                    # The reference accepted an output range it cannot read
                    # (e.g. output_set(p, u64::MAX)); reading it would crash.
                    rec["output_unreadable"] = True
                else:
                    out = bytes(ffi.buffer(lib.extism_plugin_output_data(plugin.plugin), out_len))
                    if out_len > MAX_INLINE_OUTPUT:
                        rec["output_sha256"] = hashlib.sha256(out).hexdigest()
                    else:
                        rec["output_b64"] = base64.b64encode(out).decode()
                        try:
                            rec["output"] = norm(out.decode("utf-8"))
                        except UnicodeDecodeError:
                            pass
            logs, detail = self.drain_logs()
            if logs is not None:
                rec["logs"] = logs
            if detail is not None and not rec["ok"] and norm(detail) != rec.get("error"):
                rec["error_detail"] = norm(detail)
            calls.append(rec)

        result = {"calls": calls}
        if state is not None:
            result["host_state"] = state()
        if tmp and case.get("allowed_paths"):
            result["files_after"] = snapshot_dir(tmp)
        if server is not None:
            result["http_requests"] = server.requests
        del plugin
        return result


class TestHttpServer:
    """A local HTTP server for one case: {"routes": {PATH: {"status", "body",
    "headers"?}}}; other paths get 404 "not found". Records [METHOD, PATH] of
    every request it receives."""

    def __init__(self, spec):
        import http.server
        import threading

        routes = spec.get("routes", {})
        requests = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("content-length") or 0)
                received = self.rfile.read(length) if length else b""
                requests.append([self.command, self.path])
                route = routes.get(self.path, {"status": 404, "body": "not found"})
                body = route.get("body", "")
                if "body_repeat" in route:
                    body = route["body_repeat"]["text"] * int(route["body_repeat"]["times"])
                data = body.encode("utf-8")
                if route.get("echo"):
                    # The method, the x-test request header and the body, back.
                    data = b"%s %s %s" % (
                        self.command.encode(),
                        (self.headers.get("x-test") or "-").encode(),
                        received,
                    )
                self.send_response(route.get("status", 200))
                for k, v in route.get("headers", {}).items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def snapshot_dir(root):
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, root)
            with open(path, "rb") as f:
                data = f.read()
            try:
                files[rel] = data.decode("utf-8")
            except UnicodeDecodeError:
                files[rel] = {"b64": base64.b64encode(data).decode()}
    return dict(sorted(files.items()))


def worker(cases_path, log_level, names):
    if log_level == "none":
        rec = Recorder(None, pdk_logs=False)
    elif log_level == "chains":
        rec = Recorder(CHAIN_ONLY_DIRECTIVE, pdk_logs=False)
    else:
        rec = Recorder(log_level, pdk_logs=True)
    cases = {c["name"]: c for c in load_cases(cases_path)}
    out = {}
    for name in names:
        out[name] = rec.run_case(cases[name])
    json.dump(out, sys.stdout)


# --------------------------------------------------------------------------- driver

def versions():
    import extism
    from importlib.metadata import version

    return {
        "extism (PyPI)": version("extism"),
        "extism-sys (PyPI)": version("extism-sys"),
        "libextism": extism.extism_version(),
    }


def record(cases_path, only):
    cases = load_cases(cases_path)
    if only:
        cases = [c for c in cases if any(c["name"].startswith(p) for p in only)]
    groups = {}
    for c in cases:
        groups.setdefault(c.get("log_level") or "none", []).append(c["name"])
    results = {}
    for level, names in sorted(groups.items()):
        results.update(run_worker(cases_path, level, names))
    # Cases without a log level ran with no subscriber; run them once more with
    # an error-only subscriber to collect the full error chains.
    if "none" in groups:
        chains = run_worker(cases_path, "chains", groups["none"])
        for name in groups["none"]:
            merge_error_details(name, results[name], chains[name])
    return {"recorded_with": versions(), "cases": dict(sorted(results.items()))}


def run_worker(cases_path, level, names):
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", level, "--cases", cases_path, *names],
        stdout=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "EXTISM_ENABLE_WASI_OUTPUT"},
        check=True,
    )
    return json.loads(proc.stdout)


def merge_error_details(name, result, extra):
    if "calls" not in result:
        return
    for rec, other in zip(result["calls"], extra["calls"]):
        if rec["ok"] or "error_detail" not in other:
            continue
        same = all(rec.get(k) == other.get(k) for k in ("function", "rc", "error", "error_b64"))
        if not same:
            raise SystemExit(f"case {name}: the error-detail run differs: {rec} vs {other}")
        rec["error_detail"] = other["error_detail"]


def dumps(doc):
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=DEFAULT_CASES)
    ap.add_argument("--out", default=DEFAULT_RESULTS)
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    ap.add_argument("--only", action="append", default=[], help="record only cases with this name prefix")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("names", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        worker(args.cases, args.worker, args.names)
        return 0

    doc = record(args.cases, args.only)
    text = dumps(doc)
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            old = json.load(f)
        if args.only:
            old["cases"] = {k: v for k, v in old["cases"].items() if k in doc["cases"]}
        if dumps(old) == text:
            print(f"{len(doc['cases'])} cases match {os.path.relpath(args.out, ROOT)}")
            return 0
        for name in sorted(set(old["cases"]) | set(doc["cases"])):
            if old["cases"].get(name) != doc["cases"].get(name):
                print(f"DIFFERS: {name}")
        if old.get("recorded_with") != doc["recorded_with"]:
            print(f"DIFFERS: recorded_with {old.get('recorded_with')} -> {doc['recorded_with']}")
        return 1
    if args.only and os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            old = json.load(f)
        old["cases"].update(doc["cases"])
        old["cases"] = dict(sorted(old["cases"].items()))
        old["recorded_with"] = doc["recorded_with"]
        text = dumps(old)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {len(doc['cases'])} cases to {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
