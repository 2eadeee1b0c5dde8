"""Source positions of LibCST nodes, computed one method at a time.

LibCST computes positions by generating the code of the whole module. Findings live inside
methods, so zlint generates only the method's code, and places it in the file with the line of
the method's first decorator or ``def`` from Python's ``ast`` (which the file was parsed with
already) and a per-line column shift found by comparing the generated lines with the file's.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Mapping, Optional, Tuple

import libcst as cst
from libcst.metadata import CodeRange, CodePosition, MetadataWrapper, PositionProvider

from .modules import top_level_classes


class Locator:
    """``segment_of(class name)`` gives the module a class's nodes belong to, with the line and
    column offsets of that module in the file (0, 0 for a whole-file parse)."""

    def __init__(self, tree: Optional[ast.Module], lines: List[str], segment_of):
        self.tree = tree
        self.lines = lines
        self.segment_of = segment_of
        self._segments: Dict[int, object] = {}
        self._functions: Dict[int, Optional[Tuple[Mapping[cst.CSTNode, CodeRange], int, List[int]]]] = {}
        self._ast_methods: Optional[Dict[Tuple[str, str], ast.AST]] = None

    def range(self, node: cst.CSTNode, function: Optional[cst.FunctionDef], owner: str) -> CodeRange:
        segment = self.segment_of(owner)
        if function is not None:
            placed = self._function(function, owner, segment[0].default_indent)
            if placed is not None:
                positions, offset, shifts = placed
                found = positions.get(node)
                if found is not None:
                    return CodeRange(self._place(found.start, offset, shifts), self._place(found.end, offset, shifts))
        module, line_offset, column_offset = segment
        positions = self._segments.get(id(module))
        if positions is None:
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            self._segments[id(module)] = positions
        found = positions[node]
        return CodeRange(
            CodePosition(found.start.line + line_offset, found.start.column + column_offset),
            CodePosition(found.end.line + line_offset, found.end.column + column_offset),
        )

    @staticmethod
    def _place(position: CodePosition, offset: int, shifts: List[int]) -> CodePosition:
        index = position.line - 1
        shift = shifts[index] if 0 <= index < len(shifts) else 0
        return CodePosition(position.line + offset, position.column + shift)

    def _ast_method(self, owner: str, name: str):
        if self._ast_methods is None:
            self._ast_methods = {}
            if self.tree is not None:
                for cls in top_level_classes(self.tree.body):
                    for stmt in cls.body:
                        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            self._ast_methods[(cls.name, stmt.name)] = stmt
        return self._ast_methods.get((owner, name))

    def _function(self, function: cst.FunctionDef, owner: str, default_indent: str):
        key = id(function)
        if key in self._functions:
            return self._functions[key]
        result = None
        target = self._ast_method(owner, function.name.value)
        if target is not None:
            mini = cst.Module(body=[function], default_indent=default_indent)
            wrapper = MetadataWrapper(mini, unsafe_skip_copy=True)
            positions = wrapper.resolve(PositionProvider)
            first_line = min([d.lineno for d in target.decorator_list] + [target.lineno])
            offset = first_line - positions[function].start.line
            generated = mini.code.splitlines()
            shifts: List[int] = []
            for index, text in enumerate(generated):
                original = self.lines[index + offset] if 0 <= index + offset < len(self.lines) else None
                if original is None or not original.endswith(text) or original[: len(original) - len(text)].strip():
                    break
                shifts.append(len(original) - len(text))
            else:
                result = (positions, offset, shifts)
        self._functions[key] = result
        return result
