"""The supported languages: tree-sitter grammars from the PyPI grammar wheels, and how to recognise a file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import PurePath

import tree_sitter
import tree_sitter_c
import tree_sitter_java
import tree_sitter_python

from metacompress_core.errors import MetaCompressError


@dataclass(frozen=True)
class Language:
    name: str  # "java" | "c" | "python"
    extensions: tuple[str, ...]
    lsp_ids: tuple[str, ...]  # LSP languageId values that mean this language

    @property
    def grammar(self) -> tree_sitter.Language:
        return _grammar(self.name)

    def parser(self) -> tree_sitter.Parser:
        return tree_sitter.Parser(self.grammar)


_GRAMMARS = {
    "java": tree_sitter_java.language,
    "c": tree_sitter_c.language,
    "python": tree_sitter_python.language,
}


@cache
def _grammar(name: str) -> tree_sitter.Language:
    return tree_sitter.Language(_GRAMMARS[name]())


LANGUAGES: dict[str, Language] = {
    "java": Language("java", (".java",), ("java",)),
    "c": Language("c", (".c", ".h"), ("c",)),
    "python": Language("python", (".py", ".pyi"), ("python",)),
}


def language_by_name(name: str) -> Language:
    try:
        return LANGUAGES[name.lower()]
    except KeyError:
        raise MetaCompressError(
            f"unsupported language {name!r}: MetaCompress supports {', '.join(sorted(LANGUAGES))}"
        ) from None


def detect_language(path: str | PurePath | None = None, lsp_id: str | None = None) -> Language:
    """The language of a document, from its LSP languageId when given, else from its file extension."""
    if lsp_id:
        for lang in LANGUAGES.values():
            if lsp_id.lower() in lang.lsp_ids:
                return lang
    if path is not None:
        suffix = PurePath(path).suffix.lower()
        for lang in LANGUAGES.values():
            if suffix in lang.extensions:
                return lang
    what = f"languageId {lsp_id!r}" if lsp_id else f"file {str(path)!r}"
    exts = ", ".join(e for lang in LANGUAGES.values() for e in lang.extensions)
    raise MetaCompressError(f"unsupported language for {what}: MetaCompress handles {exts} files")
