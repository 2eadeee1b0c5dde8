"""``zlint server``: the language server, over standard input and output.

Diagnostics are computed from the editor's buffers: every open file's unsaved text stands in for
the disk, for the file itself and for every file that resolves names through it. Each project
(one ``[tool.zlint]`` configuration, or one workspace folder without one) keeps a warm index;
a change drops exactly the files whose resolution looked into the changed one, and the open files
among them are checked again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..config import Config, ConfigError, apply_overrides, find_config_file, find_project_root, load_config_file
from ..selection import PARSE_ERROR_CODE
from .actions import FIX_ALL_KIND, EditTarget, fix_action, fix_all_action, ignore_action, overlaps, renderer
from .convert import Units, diagnostic, internal_error_diagnostic, setup_error_diagnostic, split_lines
from .hover import hover
from .overlay import buffer_bytes
from .project import Project

log = logging.getLogger("zlint.server")
CONFIG_NAME = "pyproject.toml"
PYTHON_SUFFIXES = (".py", ".pyi")
_WATCHED = ("**/*.py", "**/*.pyi", f"**/{CONFIG_NAME}")
# The cyclic garbage collector runs once the editor has been quiet this long: a collection over a
# warm index takes a noticeable pause, which must not land between a keystroke and its diagnostics.
IDLE_COLLECT_SECONDS = 2.0


class ZlintServer(LanguageServer):
    def __init__(self):
        super().__init__("zlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings: Dict[str, list] = {}
        self.projects: Dict[Tuple[str, Path], Project] = {}
        self._project_keys: Dict[Path, Tuple[str, Path]] = {}
        self._open: Dict[Path, str] = {}  # resolved path -> URI of the open document
        self._bytes: Dict[str, Tuple[Optional[int], bytes]] = {}
        self._pending: Dict[str, None] = {}  # URIs to check and publish, in order
        self._flush_scheduled = False
        self._collect: Optional[asyncio.TimerHandle] = None

    def collect_when_idle(self) -> None:
        if self._collect is not None:
            self._collect.cancel()
        self._collect = asyncio.get_running_loop().call_later(IDLE_COLLECT_SECONDS, gc.collect)

    # -- buffers -------------------------------------------------------------------------------
    def buffer_of(self, path: Path) -> Optional[bytes]:
        uri = self._open.get(path)
        if uri is None:
            return None
        document = self.workspace.get_text_document(uri)
        cached = self._bytes.get(uri)
        if cached is None or cached[0] != document.version:
            cached = (document.version, buffer_bytes(document.source))
            self._bytes[uri] = cached
        return cached[1]

    def version_of(self, path: Path) -> Optional[int]:
        uri = self._open.get(path.resolve())
        return self.workspace.get_text_document(uri).version if uri is not None else None

    def uri_of(self, path: Path) -> str:
        return self._open.get(path.resolve()) or from_fs_path(str(path))

    # -- projects ------------------------------------------------------------------------------
    def project_for(self, path: Path) -> Project:
        directory = path.parent
        key = self._project_keys.get(directory)
        if key is None:
            found = find_config_file(directory)
            key = (
                ("config", found)
                if found is not None
                else ("root", self._folder_of(path) or find_project_root(directory))
            )
            self._project_keys[directory] = key
        project = self.projects.get(key)
        if project is None:
            kind, where = key
            config = load_config_file(where) if kind == "config" else Config(project_root=where)
            config = apply_overrides(
                config,
                *(tuple(self.settings.get(name, ())) for name in ("select", "extendSelect", "ignore", "exclude")),
            )
            project = Project(config, self.buffer_of)
            self.projects[key] = project
        return project

    def _folder_of(self, path: Path) -> Optional[Path]:
        best = None
        for folder in self.workspace.folders.values():
            root = Path(to_fs_path(folder.uri) or "").resolve()
            if (root == path or root in path.parents) and (best is None or len(root.parts) > len(best.parts)):
                best = root
        return best

    def reload_settings(self) -> None:
        """A pyproject.toml or the editor's settings changed: new projects for every open file."""
        self.projects.clear()
        self._project_keys.clear()
        self.schedule(self._open.values())

    # -- checking ------------------------------------------------------------------------------
    def units_for(self, uri: str) -> Units:
        return Units(split_lines(self.workspace.get_text_document(uri).source), self.workspace.position_encoding)

    def diagnostics_for(self, uri: str) -> List[types.Diagnostic]:
        path = _path_of(uri)
        if path is None or path.suffix not in PYTHON_SUFFIXES:
            return []
        try:
            project = self.project_for(path)
        except ConfigError as exc:
            return [setup_error_diagnostic(str(exc))]
        if project.excluded(path):
            return []
        result = project.check(path)
        units = self.units_for(uri)
        found = [diagnostic(finding, units) for finding in result.findings]
        found.extend(internal_error_diagnostic(error) for error in result.internal_errors)
        return found

    def publish(self, uri: str) -> None:
        if uri not in self.workspace.text_documents:
            return
        version = self.workspace.get_text_document(uri).version
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=self.diagnostics_for(uri), version=version)
        )

    def schedule(self, uris) -> None:
        for uri in uris:
            self._pending[uri] = None
        if self._pending and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        while self._pending:
            uri = next(iter(self._pending))
            del self._pending[uri]
            try:
                self.publish(uri)
            except Exception as exc:  # say it in the editor, keep serving
                log.exception("checking %s failed", uri)
                self.window_log_message(
                    types.LogMessageParams(
                        type=types.MessageType.Error,
                        message=f"zlint: checking {uri} failed: {type(exc).__name__}: {exc}",
                    )
                )
        self.collect_when_idle()

    def changed(self, paths: Set[Path], first: Optional[str] = None) -> None:
        """``paths`` have new content (in a buffer or on disk): drop what depends on them and check
        the open files among those again, ``first`` before the others."""
        stale: Set[Path] = set(paths)
        for project in list(self.projects.values()):
            stale |= project.changed(paths)
        uris = [first] if first is not None else []
        uris.extend(uri for path, uri in self._open.items() if path in stale and uri != first)
        self.schedule(uris)

    def created_or_deleted(self, path: Path, created: bool) -> None:
        stale: Optional[Set[Path]] = {path}
        for project in list(self.projects.values()):
            dropped = project.created_or_deleted(path, created)
            stale = None if dropped is None or stale is None else stale | dropped
        self.schedule(uri for p, uri in self._open.items() if stale is None or p in stale)


def _path_of(uri: str) -> Optional[Path]:
    if not uri.startswith("file:"):
        return None
    fs_path = to_fs_path(uri)
    return Path(fs_path).resolve() if fs_path else None


def _is_config(path: Optional[Path]) -> bool:
    return path is not None and path.name == CONFIG_NAME


server = ZlintServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: ZlintServer, params: types.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict):
        _apply_settings(ls, options)


def _apply_settings(ls: ZlintServer, options: dict) -> None:
    settings = options.get("zlint", options) if isinstance(options.get("zlint"), dict) else options
    ls.settings = {
        name: [str(v) for v in settings.get(name, []) if isinstance(v, str)]
        for name in ("select", "extendSelect", "ignore", "exclude")
        if isinstance(settings.get(name), list)
    }


@server.feature(types.INITIALIZED)
def on_initialized(ls: ZlintServer, params: types.InitializedParams) -> None:
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities is not None else None
    if watched is not None and watched.dynamic_registration:
        watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in _WATCHED]
        ls.client_register_capability(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="zlint-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                    )
                ]
            )
        )


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: ZlintServer, params: types.DidChangeConfigurationParams) -> None:
    if isinstance(params.settings, dict) and isinstance(params.settings.get("zlint"), dict):
        _apply_settings(ls, params.settings["zlint"])
        ls.reload_settings()


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
def on_folders(ls: ZlintServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    ls.reload_settings()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: ZlintServer, params: types.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = _path_of(uri)
    if path is None:
        return
    if _is_config(path):
        return
    ls._open[path] = uri
    try:
        same_as_disk = path.read_bytes() == ls.buffer_of(path)
    except OSError:
        same_as_disk = False
    if same_as_disk:
        ls.schedule([uri])  # nothing the index has seen changes
    else:
        ls.changed({path}, first=uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: ZlintServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = _path_of(uri)
    if path is None or _is_config(path):
        return
    ls._open[path] = uri
    ls.changed({path}, first=uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def on_save(ls: ZlintServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = _path_of(uri)
    if _is_config(path):
        ls.reload_settings()
    elif path is not None and path in ls._open:
        ls.schedule([uri])  # the buffer was checked already; publish again as editors expect


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: ZlintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = _path_of(uri)
    ls._bytes.pop(uri, None)
    if path is None or ls._open.get(path) != uri:
        return
    del ls._open[path]
    ls._pending.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    ls.changed({path})  # the disk's content stands in for the buffer again


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched(ls: ZlintServer, params: types.DidChangeWatchedFilesParams) -> None:
    changed: Set[Path] = set()
    for event in params.changes:
        path = _path_of(event.uri)
        if path is None:
            continue
        if _is_config(path):
            ls.reload_settings()
            return
        if path.suffix not in PYTHON_SUFFIXES or path in ls._open:
            continue  # an open file's buffer wins over its disk content
        if event.type in (types.FileChangeType.Created, types.FileChangeType.Deleted):
            ls.created_or_deleted(path, event.type == types.FileChangeType.Created)
        else:
            changed.add(path)
    if changed:
        ls.changed(changed)


def _open_document_project(ls: ZlintServer, uri: str):
    """The path and project of an open Python document zlint checks, or ``(path, None)``."""
    path = _path_of(uri)
    if path is None or path.suffix not in PYTHON_SUFFIXES or uri not in ls.workspace.text_documents:
        return path, None
    try:
        project = ls.project_for(path)
    except ConfigError:
        return path, None
    if project.excluded(path):
        return path, None
    return path, project


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
)
def on_code_action(ls: ZlintServer, params: types.CodeActionParams):
    uri = params.text_document.uri
    path, project = _open_document_project(ls, uri)
    if project is None:
        return None
    only = params.context.only
    wanted = (lambda kind: any(kind == k or kind.startswith(f"{k}.") for k in only)) if only else (lambda kind: True)
    start, end = params.range.start.line, params.range.end.line

    def here(findings):  # a file that does not parse has nothing to fix, and comments cannot hide it
        return [f for f in findings if f.code != PARSE_ERROR_CODE and overlaps(f, start, end)]

    # Editors ask on every cursor move: plan fixes only when there is something to offer.
    lint = project.check(path).findings
    quick_fixes = wanted(types.CodeActionKind.QuickFix) and bool(here(lint))
    fix_all = wanted(FIX_ALL_KIND) and bool(only or here(lint)) and any(f.fixable for f in lint)
    if not quick_fixes and not fix_all:
        return None
    result = project.check_with_plans(path)
    ls.collect_when_idle()
    units = ls.units_for(uri)
    render_fix = renderer(project.fix_index, project.config.project_root)
    target = EditTarget(ls.uri_of, ls.version_of, ls.workspace.position_encoding)
    capability = ls.client_capabilities.text_document
    code_action = capability.code_action if capability is not None else None
    disabled_support = bool(code_action is not None and code_action.disabled_support)
    lines = split_lines(ls.workspace.get_text_document(uri).source)
    version = ls.workspace.get_text_document(uri).version
    actions: List[types.CodeAction] = []
    if quick_fixes:
        for finding in here(result.findings):
            for action in (
                fix_action(finding, render_fix, target, units, disabled_support),
                ignore_action(finding, lines, uri, version, units),
            ):
                if action is not None:
                    actions.append(action)
    if fix_all:
        action = fix_all_action(result.findings, render_fix, target)
        if action is not None:
            actions.append(action)
    return actions or None


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ZlintServer, params: types.HoverParams):
    uri = params.text_document.uri
    path, project = _open_document_project(ls, uri)
    if project is None:
        return None
    return hover(project.check(path).findings, params.position, ls.units_for(uri))


class _Formatter(logging.Formatter):
    """One line per problem in the editor's log; tracebacks only with ZLINT_DEBUG=1."""

    def format(self, record: logging.LogRecord) -> str:
        import os

        if record.exc_info and not os.environ.get("ZLINT_DEBUG"):
            error = record.exc_info[1]
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = ()
        return super().format(record)


def serve() -> None:
    """Serve on standard input and output until the client says exit."""
    import gc
    import sys

    gc.disable()  # collected when idle instead (ZlintServer.collect_when_idle): no pauses mid-check
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("zlint server: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    server.start_io()
