"""The cache records what was analysed and treats anything unexpected in its file as a miss."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from zlint.cache import Cache
from zlint.config import Config
from zlint.runner import FileResult, check_paths
from zlint.rules import ALL_RULES, RULES_BY_CODE
from zlint.selection import selected_codes
from tests.helpers import chdir
from tests.test_robustness import BAD

SECOND = "        self.block.other = 1\n"


def _run(root: Path, cache: Path, jobs: int = 1, rules=None):
    with chdir(root):
        return check_paths([Path(".")], Config(project_root=root), jobs=jobs, cache_dir=cache, rules=rules)


def _lines(result):
    return sorted((f.path, f.start.line, f.code) for f in result.findings)


def test_a_file_edited_during_the_run_is_checked_again(tmp_path):
    """The edit lands after the file was read: the entry must carry the stamp of the old bytes."""
    root = tmp_path / "p"
    root.mkdir()
    model = root / "model.py"
    model.write_text(BAD)
    edited = BAD.replace("        return self.block(x)\n", SECOND + "        return self.block(x)\n")
    base = RULES_BY_CODE["ZL001"]

    class EditsWhileChecked(base):
        def check(self, ctx):
            found = list(super().check(ctx))
            if model.read_text() == BAD:
                model.write_text(edited)  # same second, new size: as an editor saving mid-run
            return iter(found)

    first = _run(root, tmp_path / "cache", rules=[EditsWhileChecked] + [rule for rule in ALL_RULES if rule is not base])
    assert [line for _, line, _ in _lines(first)] == [10]
    second = _run(root, tmp_path / "cache")
    assert second.files_from_cache == 0
    assert [line for _, line, _ in _lines(second)] == [10, 11]


def test_an_edit_that_keeps_size_and_time_is_seen_while_the_time_is_recent(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    model = root / "model.py"
    model.write_text(BAD)
    status = model.stat()
    assert _lines(_run(root, tmp_path / "cache"))
    model.write_text(BAD.replace("self.block.flag = True", "print(self.block.flag)"))  # same size
    os.utime(model, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert model.stat().st_size == status.st_size and model.stat().st_mtime_ns == status.st_mtime_ns
    again = _run(root, tmp_path / "cache")
    assert again.files_from_cache == 0 and _lines(again) == []


def _cache_file(cache: Path) -> Path:
    (found,) = cache.glob("results-*.json")
    return found


@pytest.mark.parametrize(
    "content",
    [
        b"[]",
        b"null",
        b'{"format": 2, "files": []}',
        b'{"format": 2, "files": {"X": 1}}',
        b'{"format": 2, "files": {"%s": {"stamp": "x"}}}',
        b'{"format": 2, "files": {"%s": {"stamp": [1, 2, "h", 3]}}}',
        b"\xff\xfe",
        b"[" * 100000,
        b'{"format": 2',
    ],
)
def test_a_cache_file_of_any_shape_is_a_miss_and_is_rewritten(tmp_path, content):
    root = tmp_path / "p"
    root.mkdir()
    (root / "model.py").write_text(BAD)
    cache = tmp_path / "cache"
    expected = _lines(_run(root, cache))
    target = _cache_file(cache)
    if b"%s" in content:
        content = content.replace(b"%s", str(root / "model.py").encode())
    target.write_bytes(content)
    damaged = _run(root, cache)
    assert _lines(damaged) == expected and not damaged.internal_errors
    assert len(damaged.warnings) <= 1
    json.loads(target.read_bytes())  # rewritten as a valid cache
    warm = _run(root, cache)
    assert warm.files_from_cache == 1 and _lines(warm) == expected and not warm.warnings


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge", "folder"])
def test_a_cache_file_that_is_not_a_file_never_hangs(tmp_path, kind):
    root = tmp_path / "p"
    root.mkdir()
    (root / "model.py").write_text(BAD)
    cache = tmp_path / "cache"
    expected = _lines(_run(root, cache))
    target = _cache_file(cache)
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    elif kind == "huge":
        with open(target, "wb") as handle:
            handle.truncate(600 * 1024 * 1024)  # sparse: no disk used
    else:
        target.mkdir()
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("result", _run(root, cache)), daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), f"a cache file that is a {kind} hung the run"
    result = outcome["result"]
    assert _lines(result) == expected
    assert len(result.warnings) == 1 and "unreadable cache file" in result.warnings[0]


def test_a_new_file_at_a_missing_path_invalidates_the_entry(tmp_path):
    """FileResult.missing: paths whose appearance changes the result (an import that found nothing,
    a module a new file would shadow). The project index fills it; here a result is made by hand."""
    root = tmp_path / "p"
    root.mkdir()
    model = root / "model.py"
    model.write_text(BAD)
    config = Config(project_root=root)
    codes = selected_codes(config, list(ALL_RULES))
    cache_dir = tmp_path / "cache"
    shadow = root / "torch.py"
    with chdir(root):
        data = model.read_bytes()
        status = model.stat()
        import hashlib

        stamp = [status.st_mtime_ns, status.st_size, hashlib.sha256(data).hexdigest(), status.st_mtime_ns + 10**10]
        cache = Cache.open(cache_dir, config, codes)
        cache.store(FileResult(Path(os.path.abspath(model)), stamp=stamp, missing=[str(shadow)], analysed=True))
        cache.save()
        reopened = Cache.open(cache_dir, config, codes)
        hit = reopened.lookup(model)
        assert hit is not None and hit.missing == [str(shadow)]
        shadow.write_text("class nn: pass\n")
        assert Cache.open(cache_dir, config, codes).lookup(model) is None
