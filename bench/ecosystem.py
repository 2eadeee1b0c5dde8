"""Ecosystem check: zlint over pinned releases of real model libraries, against a triaged snapshot.

    python bench/ecosystem.py [--packages sglang-0.5.11,peft-0.21.2] [--allow-internal-errors]
                              [--update-snapshot] [--sync-triage] [--strict]

Fetches the wheels pinned in PINS below with ``pip download --no-deps --only-binary=:all:``
into a git-ignored cache (bench/.ecosystem-cache/), checks each file's SHA-256, and unpacks the
top-level package with ``zipfile``. Nothing is imported or installed. In the folder that holds
each package it runs ``zlint check --no-cache --output-format json --exit-zero .`` with the
interpreter running this script (so it measures the zlint of the tree it is run from), once with
the default rules and once with ``--select ZL`` (every rule).

It prints, per package and mode: files, lines, wall time, findings per rule, internal errors,
and the difference from the committed snapshot (bench/ecosystem/snapshot.json); then the
precision of each rule and each package by the reviewed triage (bench/ecosystem/triage.toml),
and the findings nobody has triaged yet.

Findings are compared by a key that survives line shifts: the file's path, the rule code, the
message, and the flagged source line with surrounding whitespace stripped.

Exit status: 1 when zlint reports an internal error (unless --allow-internal-errors), crashes
or prints a traceback; with --strict also when findings differ from the snapshot or are
untriaged; 2 when a download, checksum or unpack fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # zlint depends on tomli below 3.11
    import tomli as tomllib

# The pins: one row per package release. Wheels tagged for one interpreter or platform are
# fetched for exactly that tag (pip's --platform/--python-version/--abi), so every machine
# checks the same files whatever Python runs this script.
#   (label, distribution, version, top-level package, wheel file name, sha256)
PINS = [
    (
        "sglang-0.5.11",
        "sglang",
        "0.5.11",
        "sglang",
        "sglang-0.5.11-cp311-cp311-manylinux_2_34_x86_64.whl",
        "fe0748beaff218d3e16c9018a5e19f018db06fc3c7ac4f90d2f93da1cf074b6f",
    ),
    (
        "sglang-0.5.23",
        "sglang",
        "0.5.23",
        "sglang",
        "sglang-0.5.23-cp311-cp311-manylinux_2_34_x86_64.whl",
        "00b3cd5b265ac76c64185fbb6b95424f324ddd9f428d0306b77bc9db9d859937",
    ),
    (
        "peft-0.21.2",
        "peft",
        "0.21.2",
        "peft",
        "peft-0.21.2-py3-none-any.whl",
        "106ab6077ff72c54d21577f9af5970e34bac7582cb14209f7b2b511e322a4eae",
    ),
    (
        "diffusers-0.42.1",
        "diffusers",
        "0.42.1",
        "diffusers",
        "diffusers-0.42.1-py3-none-any.whl",
        "9154faa704ce00e0b77f568e0d64786064368528aab5fc14eeea92f87d788014",
    ),
    (
        "transformers-5.24.0",
        "transformers",
        "5.24.0",
        "transformers",
        "transformers-5.24.0-py3-none-any.whl",
        "ff5ebedf9359f94bb63772b6380eba6e7104d010cbbb2cb82c788817ea7486f6",
    ),
    (
        "timm-1.0.31",
        "timm",
        "1.0.31",
        "timm",
        "timm-1.0.31-py3-none-any.whl",
        "5bd50f7d0fe6d09bf9285ac2523234a1b7e6bf075c0be3e7aed09139fcb617c7",
    ),
]
# Not pinned: vllm 0.33.0 (its only wheel is 336 MB, mostly compiled kernels).

MODES = [("default", []), ("all", ["--select", "ZL"])]

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "ecosystem" / "snapshot.json"
TRIAGE = HERE / "ecosystem" / "triage.toml"
DEFAULT_CACHE = HERE / ".ecosystem-cache"

# Written into each unpacked tree: it makes the tree its own project, so neither the settings
# nor the project root (nor a .gitignore) of the folder the cache lives in reach the run.
_PROJECT_MARKER = "# Written by bench/ecosystem.py: this unpacked wheel is a project of its own.\n[tool.zlint]\n"

Key = Tuple[str, str, str, str]  # (path, code, message, stripped source line)


class SetupError(Exception):
    """A download, checksum or unpack failure: the check cannot run."""


@dataclass(frozen=True)
class Pin:
    label: str
    distribution: str
    version: str
    package: str
    wheel: str
    sha256: str


def pins() -> List[Pin]:
    return [Pin(*row) for row in PINS]


# -- fetching ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tag_options(wheel: str) -> List[str]:
    """pip options that fetch exactly the wheel named, on any interpreter and platform."""
    python_tag, abi_tag, platform_tag = wheel[: -len(".whl")].split("-")[-3:]
    if (python_tag, abi_tag, platform_tag) == ("py3", "none", "any"):
        return []
    match = re.fullmatch(r"cp(\d+)", python_tag)
    if not match:
        raise SetupError(f"{wheel}: cannot derive pip platform options from tag {python_tag}")
    return ["--python-version", match.group(1), "--implementation", "cp", "--abi", abi_tag, "--platform", platform_tag]


def fetch_wheel(pin: Pin, wheels: Path) -> Path:
    target = wheels / pin.wheel
    if not (target.is_file() and _sha256(target) == pin.sha256):
        wheels.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()  # a truncated or foreign file: pip would keep it as "already downloaded"
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(wheels),
            *_tag_options(pin.wheel),
            f"{pin.distribution}=={pin.version}",
        ]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SetupError(f"pip download {pin.distribution}=={pin.version} failed:\n{proc.stderr[-2000:]}")
        if not target.is_file():
            raise SetupError(f"pip download {pin.distribution}=={pin.version} did not produce {pin.wheel}")
    actual = _sha256(target)
    if actual != pin.sha256:
        raise SetupError(f"{target}: sha256 {actual} does not match the pinned {pin.sha256}")
    return target


def unpack(pin: Pin, wheel: Path, trees: Path) -> Path:
    """The folder holding the package (``trees/<label>/<package>/``), unpacked once."""
    tree = trees / pin.label
    done = tree / ".unpacked"
    if done.is_file() and done.read_text() == pin.sha256:
        return tree
    if tree.exists():
        _remove_tree(tree)
    tree.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.infolist() if PurePosixPath(m.filename).parts[:1] == (pin.package,)]
        if not members:
            raise SetupError(f"{wheel.name}: holds no top-level folder {pin.package}/")
        for member in members:
            parts = PurePosixPath(member.filename).parts
            if member.filename.startswith("/") or ".." in parts:
                raise SetupError(f"{wheel.name}: refusing the unsafe member name {member.filename!r}")
            archive.extract(member, tree)
    (tree / "pyproject.toml").write_text(_PROJECT_MARKER)
    done.write_text(pin.sha256)
    return tree


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if child.is_dir() and not child.is_symlink():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()


# -- running zlint ----------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    files_checked: int
    findings: List[dict]  # snapshot entries: path, line, code, message, source
    internal_errors: List[str]
    failure: Optional[str]  # a crash, a traceback or unreadable output


def _source_line(tree: Path, path: str, line: int, cache: Dict[str, List[str]]) -> str:
    if path not in cache:
        try:
            cache[path] = (tree / path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def run_zlint(tree: Path, extra: List[str]) -> Run:
    command = [
        sys.executable,
        "-m",
        "zlint",
        "check",
        "--no-cache",
        "--output-format",
        "json",
        "--exit-zero",
        *extra,
        ".",
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    wall = time.perf_counter() - start
    failure = None
    if "Traceback (most recent call last)" in proc.stderr:
        failure = f"zlint printed a traceback:\n{proc.stderr[-3000:]}"
    try:
        document = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return Run(
            wall, 0, [], [], failure or f"zlint exited {proc.returncode} without a JSON report:\n{proc.stderr[-3000:]}"
        )
    if proc.returncode not in (0, 2) and failure is None:
        failure = f"zlint exited {proc.returncode} under --exit-zero:\n{proc.stderr[-3000:]}"
    lines: Dict[str, List[str]] = {}
    findings = []
    for finding in document.get("findings", []):
        path = PurePosixPath(Path(finding["filename"]).as_posix()).as_posix()
        row = finding["location"]["row"]
        findings.append(
            {
                "path": path,
                "line": row,
                "code": finding["code"],
                "message": finding["message"],
                "source": _source_line(tree, path, row, lines),
            }
        )
    findings.sort(key=lambda f: (f["path"], f["line"], f["code"], f["message"], f["source"]))
    errors = sorted(f"{e['filename']}: {e['code']}: {e['message']}" for e in document.get("internal_errors", []))
    return Run(wall, int(document.get("files_checked", 0)), findings, errors, failure)


def zlint_rules() -> Tuple[List[str], List[str]]:
    """Every rule code of the zlint being measured, and those on by default (`zlint rules`)."""
    proc = subprocess.run([sys.executable, "-m", "zlint", "rules"], capture_output=True, text=True)
    every, default = [], []
    for line in proc.stdout.splitlines():
        fields = line.split()
        if fields and re.fullmatch(r"[A-Z]+[0-9]+", fields[0]):
            every.append(fields[0])
            if len(fields) > 3 and fields[3] == "on":  # Code, Name, Fix, Default, Summary
                default.append(fields[0])
    if proc.returncode != 0 or not every:
        raise SetupError(f"`zlint rules` failed (exit {proc.returncode}): {proc.stderr[-1000:]}")
    return every, default


def key_of(entry: dict) -> Key:
    return (entry["path"], entry["code"], entry["message"], entry["source"])


def count_source(tree: Path, package: str) -> Tuple[int, int]:
    files = sorted((tree / package).rglob("*.py"))
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


# -- snapshot and triage ----------------------------------------------------------------------


def load_snapshot() -> Dict[str, Dict[str, List[dict]]]:
    if not SNAPSHOT.is_file():
        return {}
    try:
        return json.loads(SNAPSHOT.read_text(encoding="utf-8"))["packages"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SetupError(f"{SNAPSHOT}: not a snapshot written by this script ({exc!r})") from None


def write_snapshot(packages: Dict[str, Dict[str, List[dict]]]) -> None:
    document = {
        "about": "zlint findings on the pinned packages of bench/ecosystem.py; "
        "rewrite with `python bench/ecosystem.py --update-snapshot`",
        "packages": {
            label: {mode: packages[label][mode] for mode in sorted(packages[label])} for label in sorted(packages)
        },
    }
    _write_atomic(SNAPSHOT, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def load_triage() -> Dict[Key, dict]:
    if not TRIAGE.is_file():
        return {}
    try:
        with TRIAGE.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{TRIAGE}: not valid TOML: {exc}") from None
    entries: Dict[Key, dict] = {}
    for entry in document.get("finding", []):
        missing = [name for name in ("path", "code", "message", "source", "label", "reason") if name not in entry]
        if missing:
            raise SetupError(f"{TRIAGE}: an entry lacks {', '.join(missing)}: {entry}")
        if entry["label"] not in ("true", "false", ""):
            raise SetupError(f'{TRIAGE}: label must be "true", "false" or "" (untriaged): {entry}')
        entries[key_of(entry)] = entry
    return entries


_TRIAGE_HEADER = """\
# Reviewed labels for every finding in snapshot.json (bench/ecosystem.py reads this file).
# One [[finding]] per key: path, code, message and the flagged source line (stripped), so an
# entry survives line shifts and is shared by every pinned release holding the same finding.
# label: "true" (the forward-time write or read really is the action at a distance the rule
# describes) or "false"; "" marks an entry not yet reviewed. reason: one line, after reading
# the code. `where` is informational: one package and line where the finding was seen.
# The criteria per rule are in the README's "Ecosystem check" section.
"""


def _toml_string(value: str) -> str:
    # JSON's string escapes are a subset of TOML's basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def write_triage(entries: Dict[Key, dict]) -> None:
    chunks = [_TRIAGE_HEADER]
    for key in sorted(entries):
        entry = entries[key]
        chunks.append("\n[[finding]]\n")
        for name in ("path", "code", "message", "source", "where", "label", "reason"):
            if name in entry:
                chunks.append(f"{name} = {_toml_string(str(entry[name]))}\n")
    _write_atomic(TRIAGE, "".join(chunks))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def diff(current: List[dict], previous: List[dict]) -> Tuple[List[dict], List[dict]]:
    """Findings new since the snapshot and findings gone from it, matched by key (as multisets)."""
    old = Counter(key_of(f) for f in previous)
    new = Counter(key_of(f) for f in current)
    added, gone = [], []
    budget = new - old
    for finding in current:
        if budget[key_of(finding)] > 0:
            budget[key_of(finding)] -= 1
            added.append(finding)
    budget = old - new
    for finding in previous:
        if budget[key_of(finding)] > 0:
            budget[key_of(finding)] -= 1
            gone.append(finding)
    return added, gone


# -- report -----------------------------------------------------------------------------------


def _precision(true: int, false: int) -> str:
    return f"{100.0 * true / (true + false):5.1f}% ({true}/{true + false})" if true + false else "   n/a"


def _internal(run: Run) -> str:
    """Internal errors as `entries/files` (one file can fail once per rule)."""
    files = {error.split(": ", 1)[0] for error in run.internal_errors}
    return f"{len(run.internal_errors)}/{len(files)}" if run.internal_errors else "0"


def _short(finding: dict) -> str:
    return f"{finding['path']}:{finding['line']}: {finding['code']} {finding['message']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", help="comma-separated labels from PINS (default: all)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download and unpack folder")
    parser.add_argument(
        "--allow-internal-errors",
        action="store_true",
        help="report internal errors but do not fail on them (for measuring)",
    )
    parser.add_argument("--update-snapshot", action="store_true", help="rewrite the snapshot with this run")
    parser.add_argument(
        "--sync-triage",
        action="store_true",
        help="add an empty entry for each untriaged snapshot finding, drop entries no snapshot holds",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also fail when findings differ from the snapshot or are untriaged"
    )
    args = parser.parse_args()

    selected = pins()
    if args.packages:
        wanted = [label.strip() for label in args.packages.split(",") if label.strip()]
        unknown = sorted(set(wanted) - {pin.label for pin in selected})
        if unknown:
            print(
                f"error: unknown package(s) {', '.join(unknown)}; known: {', '.join(pin.label for pin in selected)}",
                file=sys.stderr,
            )
            return 2
        selected = [pin for pin in selected if pin.label in wanted]

    started = time.perf_counter()
    try:
        trees = {
            pin.label: unpack(pin, fetch_wheel(pin, args.cache / "wheels"), args.cache / "trees") for pin in selected
        }
        triage = load_triage()
        snapshot = load_snapshot()
        rules, default_rules = zlint_rules()
    except (SetupError, OSError, zipfile.BadZipFile) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fetched = time.perf_counter() - started

    results: Dict[str, Dict[str, Run]] = {}
    failures: List[str] = []
    out = []
    for pin in selected:
        tree = trees[pin.label]
        files, lines = count_source(tree, pin.package)
        out.append(f"\n## {pin.distribution} {pin.version}  ({files} files, {lines} lines)\n")
        out.append(
            f"| mode    | wall (s) | checked | {' | '.join(rules)} | internal errors/files | new | gone | precision"
        )
        out.append(
            f"|---------|---------:|--------:|{'|'.join('------:' for _ in rules)}"
            "|----------------------:|----:|-----:|----------"
        )
        results[pin.label] = {}
        for mode, extra in MODES:
            run = run_zlint(tree, extra)
            results[pin.label][mode] = run
            per_rule = Counter(f["code"] for f in run.findings)
            added, gone = diff(run.findings, snapshot.get(pin.label, {}).get(mode, []))
            labels = Counter(triage.get(key_of(f), {}).get("label", "") for f in run.findings)
            out.append(
                f"| {mode:<7} | {run.wall:8.1f} | {run.files_checked:7d} | "
                f"{' | '.join(f'{per_rule[r]:5d}' for r in rules)} | {_internal(run):>21} | "
                f"{len(added):3d} | {len(gone):4d} | {_precision(labels['true'], labels['false'])}"
            )
            if run.failure:
                failures.append(f"{pin.label} {mode}: {run.failure}")
            if run.internal_errors and not args.allow_internal_errors:
                failures.append(f"{pin.label} {mode}: {len(run.internal_errors)} internal error(s)")
        for mode, _ in MODES:
            run = results[pin.label][mode]
            added, gone = diff(run.findings, snapshot.get(pin.label, {}).get(mode, []))
            for error in run.internal_errors:
                out.append(f"  internal error ({mode}): {error}")
            for finding in added:
                out.append(f"  new ({mode}): {_short(finding)}")
            for finding in gone:
                out.append(f"  gone ({mode}): {_short(finding)}")
        print("\n".join(out), flush=True)  # one package at a time: a long run shows progress
        out.clear()

    # Precision per rule over every package, each finding counted once per package (the union
    # of both modes: a default rule's findings appear in both).
    per_rule: Dict[str, Counter] = {rule: Counter() for rule in rules}
    untriaged: Dict[Key, dict] = {}
    for pin in selected:
        union: Dict[Key, dict] = {}
        for mode, _ in MODES:
            for finding in results[pin.label][mode].findings:
                union.setdefault(key_of(finding), finding)
        for key, finding in union.items():
            label = triage.get(key, {}).get("label", "")
            per_rule.setdefault(finding["code"], Counter())[label or "untriaged"] += 1
            if not label:
                untriaged.setdefault(key, dict(finding, where=f"{pin.label}:{finding['line']}"))
    out.append("\n## Precision by triage (true / (true + false); each finding once per package)\n")
    out.append("| rule  | true | false | untriaged | precision")
    out.append("|-------|-----:|------:|----------:|----------")
    for rule in per_rule:
        counts = per_rule[rule]
        if sum(counts.values()):
            out.append(
                f"| {rule} | {counts['true']:4d} | {counts['false']:5d} | {counts['untriaged']:9d} | "
                f"{_precision(counts['true'], counts['false'])}"
            )
    for name, subset in (("default rules", default_rules), ("all rules", list(per_rule))):
        true = sum(per_rule[r]["true"] for r in subset)
        false = sum(per_rule[r]["false"] for r in subset)
        out.append(f"| {name}: {_precision(true, false)}")
    if untriaged:
        out.append(f"\n{len(untriaged)} untriaged finding(s) (label them in {TRIAGE.relative_to(HERE.parent)}):")
        for key in sorted(untriaged):
            out.append(f"  {untriaged[key]['where'].split(':')[0]}: {_short(untriaged[key])}")
    total = time.perf_counter() - started
    out.append(
        f"\nfetch + unpack: {fetched:.1f} s; total: {total:.1f} s; zlint: "
        f"{subprocess.run([sys.executable, '-m', 'zlint', '--version'], capture_output=True, text=True).stdout.strip()}"
    )

    crashed = any(run.failure for modes in results.values() for run in modes.values())
    if args.update_snapshot and crashed:
        failures.append("snapshot not rewritten: a zlint run crashed, its findings are incomplete")
    elif args.update_snapshot:
        merged = dict(snapshot)
        for pin in selected:
            merged[pin.label] = {mode: [dict(f) for f in results[pin.label][mode].findings] for mode, _ in MODES}
        write_snapshot(merged)
        out.append(f"snapshot rewritten: {SNAPSHOT.relative_to(HERE.parent)}")
        snapshot = merged
    if args.sync_triage:
        where: Dict[Key, str] = {}
        for label in sorted(snapshot):
            for mode in sorted(snapshot[label]):
                for finding in snapshot[label][mode]:
                    where.setdefault(key_of(finding), f"{label}:{finding['line']}")
        synced = {key: dict(entry, where=where[key]) for key, entry in triage.items() if key in where}
        for key in set(where) - set(synced):
            synced[key] = {
                "path": key[0],
                "code": key[1],
                "message": key[2],
                "source": key[3],
                "where": where[key],
                "label": "",
                "reason": "",
            }
        write_triage(synced)
        out.append(
            f"triage synced: {TRIAGE.relative_to(HERE.parent)} ({len(synced)} entries, "
            f"{len(set(triage) - set(where))} dropped)"
        )

    if args.strict:
        for pin in selected:
            for mode, _ in MODES:
                added, gone = diff(results[pin.label][mode].findings, snapshot.get(pin.label, {}).get(mode, []))
                if added or gone:
                    failures.append(f"{pin.label} {mode}: {len(added)} new, {len(gone)} gone since the snapshot")
        if untriaged:
            failures.append(f"{len(untriaged)} untriaged finding(s)")
    print("\n".join(out))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print("ecosystem check: ok" if not failures else "ecosystem check: FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
