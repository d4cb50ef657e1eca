#!/usr/bin/env python3
"""Checks that the loom models catch seeded bugs in handoff.rs.

Each mutant below is a small edit that breaks one property the models are
meant to guard. For each, a copy of loom/ and handoff.rs is built with the
edit and the models are run; a mutant that no model catches fails the script.
Run it after changing handoff.rs or the models (an edit whose text no longer
matches fails loudly, and should be updated to the new code):

    cd loom && python3 mutants.py [NAME...]

LOOM_MAX_PREEMPTIONS defaults to 3 here, which catches all of them in a few
seconds each.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HANDOFF = os.path.join(HERE, "..", "extism-host", "src", "pool", "handoff.rs")

# name -> (what it breaks, [(old, new), ...])
MUTANTS = {
    "grant-after-unlock": (
        "release places the grant after unlocking the pool, so a waiter can abandon in between",
        [
            (
                "        // Placed while the pool is locked: see `abandon`.\n"
                "        let mut slot = lock(&waiter.slot);",
                "        drop(state);\n        let mut slot = lock(&waiter.slot);",
            ),
            ("        drop(slot);\n        drop(state);\n", "        drop(slot);\n"),
        ],
    ),
    "register-late": (
        "a blocking waiter registers its wake-up in a second critical section",
        [
            (
                "                    return Some(grant);\n                }\n",
                "                    return Some(grant);\n                }\n"
                "                drop(slot);\n"
                "                let mut slot = lock(&ticket.0.slot);\n",
            )
        ],
    ),
    "abandon-take-first": (
        "abandon looks at its slot before leaving the queue",
        [
            (
                "        let mut state = lock(&self.state);\n"
                "        state.waiters.retain(|w| !Arc::ptr_eq(w, &ticket.0));",
                "        let early = lock(&ticket.0.slot).grant.take();\n"
                "        let mut state = lock(&self.state);\n"
                "        state.waiters.retain(|w| !Arc::ptr_eq(w, &ticket.0));",
            ),
            (
                "        let grant = lock(&ticket.0.slot).grant.take();\n        drop(state);",
                "        let grant = early;\n        drop(state);",
            ),
        ],
    ),
    "drop-loses-instance": (
        "a dropped async checkout keeps an instance granted meanwhile",
        [
            (
                "Some(Grant::Instance(instance)) => self.handoff.release(Some(instance)),",
                "Some(Grant::Instance(_)) => {}",
            )
        ],
    ),
    "drop-loses-create": (
        "a dropped async checkout keeps a right to create granted meanwhile",
        [("Some(Grant::Create) => self.handoff.release(None),", "Some(Grant::Create) => {}")],
    ),
    "lifo": (
        "a release serves the newest waiter",
        [("state.waiters.pop_front()", "state.waiters.pop_back()")],
    ),
    "queue-jump": (
        "a new checkout queues at the front",
        [("state.waiters.push_back(waiter.clone());", "state.waiters.push_front(waiter.clone());")],
    ),
    "unbounded": (
        "checkouts create instances past max",
        [("            if state.live < self.max {", "            if true {")],
    ),
    "retire-keeps-slot": (
        "a retired instance's slot is not freed when nobody waits",
        [("                None => state.live -= 1,", "                None => {}")],
    ),
    "task-not-registered": (
        "a pending async checkout does not leave its waker",
        [
            (
                "        slot.wake = Some(Wake::Task(cx.waker().clone()));",
                "        let _ = cx;",
            )
        ],
    ),
}


def main(names):
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        sys.exit(f"unknown mutants: {unknown}; known: {list(MUTANTS)}")
    with open(HANDOFF) as f:
        original = f.read()
    env = dict(os.environ)
    env.setdefault("LOOM_MAX_PREEMPTIONS", "3")
    env.pop("RUST_BACKTRACE", None)
    # Not the usual target directory: cargo would take the copy for the
    # crate already built there (same name, older file times) and run that.
    base = env.get("CARGO_TARGET_DIR", os.path.join(HERE, "target"))
    env["CARGO_TARGET_DIR"] = os.path.join(base, "loom-mutants")
    survivors = []
    with tempfile.TemporaryDirectory() as tmp:
        # The same layout, so the crate's #[path] finds the mutated file.
        shutil.copytree(HERE, os.path.join(tmp, "loom"), ignore=shutil.ignore_patterns("target"))
        pool = os.path.join(tmp, "extism-host", "src", "pool")
        os.makedirs(pool)
        for name in names or MUTANTS:
            what, edits = MUTANTS[name]
            text = original
            for old, new in edits:
                if text.count(old) != 1:
                    sys.exit(f"{name}: the text to edit is not in handoff.rs once:\n{old}")
                text = text.replace(old, new)
            with open(os.path.join(pool, "handoff.rs"), "w") as f:
                f.write(text)
            run = subprocess.run(
                ["cargo", "test", "--release"],
                cwd=os.path.join(tmp, "loom"),
                env=env,
                capture_output=True,
                text=True,
            )
            failed = set()
            for line in (run.stdout + run.stderr).splitlines():
                # A deadlock can abort the whole binary, hence the panics too.
                if line.startswith("test ") and line.endswith("FAILED"):
                    failed.add(line.split()[1])
                elif line.startswith("thread 'models::"):
                    failed.add(line.split("'")[1])
            if run.returncode == 0:
                survivors.append(name)
                print(f"SURVIVED {name}: {what}")
            elif not failed:
                sys.exit(f"{name}: the build failed:\n{run.stderr}")
            else:
                print(f"caught   {name}: {what}\n         by {', '.join(sorted(failed))}")
    if survivors:
        sys.exit(f"{len(survivors)} mutant(s) survived: {survivors}")


if __name__ == "__main__":
    main(sys.argv[1:])
