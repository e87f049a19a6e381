"""Source code as the engine sees it: languages, parsing, units (functions) and spans."""

from metacompress_core.code.languages import LANGUAGES, Language, detect_language, language_by_name
from metacompress_core.code.parsing import Code, parse
from metacompress_core.code.units import Unit, extract_units, read_source

__all__ = [
    "LANGUAGES",
    "Code",
    "Language",
    "Unit",
    "detect_language",
    "extract_units",
    "language_by_name",
    "parse",
    "read_source",
]
