"""`zlint server` end to end: a real LSP client (pytest-lsp) drives the server over stdio."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the `server` extra")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="the `test` extra brings pytest-lsp")
from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402

DATA = Path(__file__).parent / "data" / "zimage_tree"
WRITE_LINE = 22  # layer.attention.attn.skip_sequence_parallel = use_full_unified_sequence
VENDOR_LINE = 29  # head.gather = flag, on a class zlint cannot see


def _client_factory() -> LanguageClient:
    """The test client, recording every publishDiagnostics with its version (in order)."""
    client = LanguageClient(converter_factory=default_converter)
    features = {m: f for m, f in DEFAULT_CLIENT_FEATURES.items() if m != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}
    register_lsp_features(client, features)
    client.published = []

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(ls: LanguageClient, params: types.PublishDiagnosticsParams):
        ls.diagnostics[params.uri] = params.diagnostics
        ls.published.append(params)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(ls: LanguageClient, params: types.RegistrationParams):
        ls.registrations = [r.method for r in params.registrations]

    return client


@pytest.fixture
def tree(tmp_path):
    target = tmp_path / "zimage_tree"
    shutil.copytree(DATA, target)
    return target


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "zlint", "server"], client_factory=_client_factory)
)
async def client(lsp_client: LanguageClient, tree):
    capabilities = client_capabilities("visual-studio-code")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=from_fs_path(str(tree)),
            workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(tree)), name="zimage")],
        )
    )
    yield
    if not getattr(lsp_client, "shut_down", False):
        await lsp_client.shutdown_session()


class Session:
    """Open documents and their versions, on the client's side."""

    def __init__(self, client: LanguageClient, tree: Path):
        self.client = client
        self.tree = tree
        self.texts = {}
        self.versions = {}

    def uri(self, rel: str) -> str:
        return from_fs_path(str(self.tree / rel))

    def open(self, rel: str) -> str:
        uri = self.uri(rel)
        text = (self.tree / rel).read_text()
        self.texts[uri], self.versions[uri] = text, 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[uri]

    def mark(self) -> int:
        """A point in the stream of published diagnostics; pass it as ``after``."""
        return len(self.client.published)

    async def diagnostics(self, uri: str, version: int = 1, after: int = 0):
        """The first diagnostics published for ``uri`` at ``version`` or later (and after the
        mark ``after``, for changes that do not change the document's version)."""
        for _ in range(1000):
            for index, params in enumerate(self.client.published):
                if index >= after and params and params.uri == uri and (params.version or 0) >= version:
                    self.client.published[index] = None  # each publish answers one wait
                    return list(params.diagnostics)
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics for {uri} at version {version}")

    def apply(self, edit: types.WorkspaceEdit) -> list:
        """Apply a workspace edit to the open buffers, then send each new text as didChange;
        returns [(uri, new version)]."""
        updated = []
        for change in edit.document_changes:
            uri = change.text_document.uri
            assert uri in self.texts, f"edit for a file that is not open: {uri}"
            assert change.text_document.version == self.versions[uri]
            text = self.texts[uri]
            for text_edit in sorted(
                change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
            ):
                text = _apply_edit(text, text_edit)
            updated.append((uri, self.change(uri, text)))
        return updated


def _offset(text: str, position: types.Position) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: position.line]) + position.character


def _apply_edit(text: str, edit: types.TextEdit) -> str:
    return text[: _offset(text, edit.range.start)] + edit.new_text + text[_offset(text, edit.range.end) :]


async def _actions(client, uri, line):
    return (
        await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(
                    start=types.Position(line=line - 1, character=0), end=types.Position(line=line - 1, character=0)
                ),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        or []
    )


PACKAGE = [
    "zimage/__init__.py",
    "zimage/model.py",
    "zimage/block.py",
    "zimage/final.py",
    "zimage/layers/__init__.py",
    "zimage/layers/attention.py",
    "zimage/layers/usp_attention.py",
]


@pytest.mark.asyncio
async def test_cross_file_fix_applied_to_buffers_clears_the_diagnostics(client: LanguageClient, tree):
    session = Session(client, tree)
    uris = {rel: session.open(rel) for rel in PACKAGE}
    model = uris["zimage/model.py"]
    found = await session.diagnostics(model)
    assert [(d.code, d.range.start.line + 1) for d in found] == [("ZL001", WRITE_LINE), ("ZL001", VENDOR_LINE)]
    write = found[0]
    assert write.source == "zlint"
    assert write.severity == types.DiagnosticSeverity.Error
    assert write.code_description.href.endswith("/docs/rules/ZL001.md")
    assert (write.range.start.character, write.range.end.line + 1) == (12, WRITE_LINE)
    assert (
        "chain: self.layers: ModuleList[ZImageTransformerBlock] -> [*]: ZImageTransformerBlock"
        " -> .attention: ZImageAttention -> .attn: USPAttention"
    ) in write.message

    assert await _actions(client, model, 1) == []  # nothing flagged on the line: nothing offered
    actions = await _actions(client, model, WRITE_LINE)
    fixes = [a for a in actions if a.edit is not None and a.kind == types.CodeActionKind.QuickFix and a.is_preferred]
    assert len(fixes) == 1, [a.title for a in actions]
    touched = {change.text_document.uri for change in fixes[0].edit.document_changes}
    # One edit over every file on the chain: the write's file and the files of the blocks it reaches.
    assert model in touched and uris["zimage/layers/usp_attention.py"] in touched and len(touched) >= 3

    # The other write's owner lies outside the tree: its fix is refused, and the title says why.
    vendor = await _actions(client, model, VENDOR_LINE)
    refused = [a for a in vendor if a.disabled is not None]
    assert refused and refused[0].disabled.reason and refused[0].disabled.reason in refused[0].title
    ignore = [a for a in vendor if a.title == "Ignore ZL001 on this line"]
    assert len(ignore) == 1

    # Fix all in the file: the one fixable finding's edit (the other has no fix), as a source action.
    fix_all = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=model),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    assert [(a.kind, a.title) for a in fix_all] == [("source.fixAll.zlint", "zlint: fix all in this file (1 finding)")]
    assert fix_all[0].edit == fixes[0].edit

    on_disk = {rel: (tree / rel).read_bytes() for rel in PACKAGE}
    applied = session.apply(fixes[0].edit)
    for uri, version in applied:
        if uri == model:
            after_fix = await session.diagnostics(model, version)
    assert [(d.code, d.range.start.line + 1) for d in after_fix] == [("ZL001", VENDOR_LINE - 1)]
    assert "skip_sequence_parallel_override" in session.texts[uris["zimage/layers/usp_attention.py"]]

    # The ignore comment, from a fresh request against the fixed buffer.
    vendor = await _actions(client, model, VENDOR_LINE - 1)
    ignore = [a for a in vendor if a.title == "Ignore ZL001 on this line"]
    ((uri, version),) = session.apply(ignore[0].edit)
    assert "head.gather = flag  # zlint: ignore[ZL001]" in session.texts[model]
    assert await session.diagnostics(model, version) == []
    # The server edits buffers only: the disk is the editor's to write.
    assert {rel: (tree / rel).read_bytes() for rel in PACKAGE} == on_disk


@pytest.mark.asyncio
async def test_unsaved_edit_in_an_imported_file_changes_the_importers_diagnostics(client: LanguageClient, tree):
    session = Session(client, tree)
    model = session.open("zimage/model.py")
    before = await session.diagnostics(model)
    assert before[0].message.endswith(".attn: USPAttention")
    # usp_attention.py is three imports away (model -> block -> attention -> usp_attention).
    usp = session.open("zimage/layers/usp_attention.py")
    await session.diagnostics(usp)
    text = session.texts[usp]
    mark = session.mark()
    session.change(usp, text.replace("class USPAttention(nn.Module):", "class USPAttention:"))
    after = await session.diagnostics(model, 1, after=mark)
    # A plain class holds no module state: while the buffer says so, the write through `.attn`
    # is no finding; the finding on the vendor class stays.
    assert [d.range.start.line + 1 for d in after] == [VENDOR_LINE]
    mark = session.mark()
    session.change(usp, text)
    restored = await session.diagnostics(model, 1, after=mark)
    assert [d.range.start.line + 1 for d in restored] == [WRITE_LINE, VENDOR_LINE]

    hovered = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=model),
            position=types.Position(line=WRITE_LINE - 1, character=20),
        )
    )
    assert "### What it does" in hovered.contents.value and "### Why is this bad?" in hovered.contents.value
    assert hovered.contents.value.startswith("**ZL001**")
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=model), position=types.Position(line=0, character=0)
        )
    )
    assert nothing is None

    # A second project with its own [tool.zlint]: its settings hold for its files only.
    other = tree.parent / "other_project"
    shutil.copytree(DATA, other)
    (other / "pyproject.toml").write_text('[tool.zlint]\nignore = ["ZL001"]\n')
    other_session = Session(client, other)
    assert await other_session.diagnostics(other_session.open("zimage/model.py")) == []
    # Editor settings (workspace/didChangeConfiguration) add to [tool.zlint], as options do.
    mark = session.mark()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"zlint": {"select": ["ZL000"]}})
    )
    assert await session.diagnostics(model, 1, after=mark) == []
    mark = session.mark()
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"zlint": {}}))
    assert len(await session.diagnostics(model, 1, after=mark)) == 2

    # Closing the buffer unsaved: the disk's class (a module) counts again.
    mark = session.mark()
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=usp))
    )
    assert await session.diagnostics(usp, 0, after=mark) == []
    again = await session.diagnostics(model, 1, after=mark)
    assert again[0].message.endswith(".attn: USPAttention")


@pytest.mark.asyncio
async def test_syntax_error_config_change_and_clean_exit(client: LanguageClient, tree):
    session = Session(client, tree)
    model = session.open("zimage/model.py")
    assert len(await session.diagnostics(model)) == 2
    good = session.texts[model]
    version = session.change(
        model,
        good.replace(
            "def forward(self, x, use_full_unified_sequence):", "def forward(self, x, use_full_unified_sequence:"
        ),
    )
    broken = await session.diagnostics(model, version)
    assert [(d.code, d.range.start.line + 1) for d in broken] == [("ZL000", 20)]
    assert broken[0].message.startswith("syntax error")
    assert await _actions(client, model, 20) == []  # still answering, nothing to offer for ZL000
    version = session.change(model, good)
    assert len(await session.diagnostics(model, version)) == 2

    # A file changed on disk (not open in the editor), reported by the client's file watcher.
    usp = tree / "zimage" / "layers" / "usp_attention.py"
    usp.write_text(usp.read_text().replace("class USPAttention(nn.Module):", "class USPAttention:"))
    mark = session.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=from_fs_path(str(usp)), type=types.FileChangeType.Changed)]
        )
    )
    changed = await session.diagnostics(model, version, after=mark)
    assert [d.range.start.line + 1 for d in changed] == [VENDOR_LINE]  # the write through .attn is gone

    # [tool.zlint] is read again when pyproject.toml changes, without a restart.
    config = tree / "pyproject.toml"
    config.write_text('[tool.zlint]\nignore = ["ZL001"]\n')
    mark = session.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=from_fs_path(str(config)), type=types.FileChangeType.Created)]
        )
    )
    assert await session.diagnostics(model, version, after=mark) == []
    config.write_text('[tool.zlint]\nignore = ["ZL001"\n')  # invalid TOML: said, not swallowed
    mark = session.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=from_fs_path(str(config)), type=types.FileChangeType.Changed)]
        )
    )
    (problem,) = await session.diagnostics(model, version, after=mark)
    assert "zlint did not check this file" in problem.message and "TOML" in problem.message

    await client.shutdown_session()
    client.shut_down = True
    assert client._server.returncode == 0
