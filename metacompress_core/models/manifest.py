"""The project's manifest for raw PyTorch state dicts: everything needed to run a checkpoint that is not an HF
`save_pretrained` directory (the form Compressor, AVATAR and MORPH publish). docs/MODELS.md describes each field.

A manifest names its weight and tokenizer files by paths relative to a directory the user passes (by default
the manifest's own folder), so a manifest can live in the repository while the weights live elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import TASK_INPUT, canonical_task
from metacompress_core.models.dataflow import DATAFLOW_RULES

SCHEMA = "metacompress-manifest/1"
_ENCODINGS = ("tokens", "graphcodebert-dataflow")
_FORMS = ("single", "pair-siamese")


@dataclass(frozen=True)
class FileRef:
    path: str
    sha256: str | None = None


@dataclass(frozen=True)
class InputSpec:
    form: str  # "single" | "pair-siamese"
    encoding: str  # "tokens" | "graphcodebert-dataflow"
    whitespace: str = "keep"  # "keep" | "collapse" (' '.join(code.split()), applied first)
    max_length: int = 512  # tokens: <s> + code + </s>
    language: str | None = None  # dataflow: "java" | "c"
    dataflow_rules: str | None = None  # dataflow: one of DATAFLOW_RULES
    comments: str = "remove"  # dataflow: "remove" | "keep"
    split_escaped_newlines: bool = (
        False  # dataflow: backslash-n (2 characters) becomes a newline, before comments go
    )
    keep_unlinked_nodes: bool = False  # dataflow: keep nodes with no edge
    code_length: int = 384
    data_flow_length: int = 128
    reserved_tokens: int = 3

    @property
    def pair(self) -> bool:
        return self.form == "pair-siamese"


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    task: str
    weights: FileRef
    tokenizer: FileRef
    special_tokens: dict[str, str]  # role (bos, eos, pad, unk) -> token text
    architecture: dict[str, Any]  # RobertaConfig fields
    encoder_prefix: str
    head_prefix: str
    ignore_keys: tuple[str, ...]  # exact keys, or prefixes when ending with "."
    input: InputSpec
    outputs: tuple[str, ...]  # what each output index means
    extra: dict[str, Any] = field(default_factory=dict)  # provenance and notes, not used to run the model

    def settings(self) -> dict[str, Any]:
        """What changes the outputs besides the files: part of the model's fingerprint."""
        return {
            "task": self.task,
            "special_tokens": self.special_tokens,
            "architecture": self.architecture,
            "state_dict": [self.encoder_prefix, self.head_prefix, list(self.ignore_keys)],
            "input": self.input.__dict__,
            "outputs": list(self.outputs),
        }


def is_manifest(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("schema") == SCHEMA


def read_manifest(path: str | Path) -> Manifest:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise MetaCompressError(f"cannot read manifest {p}: {e.strerror or e}") from None
    except ValueError as e:
        raise MetaCompressError(f"manifest {p} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MetaCompressError(
            f'{p} is not a MetaCompress manifest (it needs "schema": "{SCHEMA}"); docs/MODELS.md shows one'
        )
    r = _Reader(p, data)
    task = canonical_task(r.str("task"))
    arch = r.dict("architecture")
    if arch.get("type") != "roberta":
        raise MetaCompressError(
            f'manifest {p}: architecture.type {arch.get("type")!r} is not supported (only "roberta")'
        )
    config = arch.get("config")
    if not isinstance(config, dict):
        raise MetaCompressError(
            f"manifest {p}: architecture.config must be an object of RobertaConfig fields"
        )
    tok = r.dict("tokenizer")
    specials = {role: tok.get(role, default) for role, default in _SPECIALS.items()}
    sd = r.dict("state_dict")
    spec = _input_spec(r, r.dict("input"))
    if TASK_INPUT.get(task) == "pair" and not spec.pair or TASK_INPUT.get(task) == "single" and spec.pair:
        raise MetaCompressError(f"manifest {p}: a {task!r} model cannot take input form {spec.form!r}")
    outputs = data.get("outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs) or len(outputs) < 2:
        raise MetaCompressError(f'manifest {p}: "outputs" must list what each output index means')
    ignore = sd.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(k, str) for k in ignore):
        raise MetaCompressError(f"manifest {p}: state_dict.ignore must be a list of keys or prefixes")
    known = {
        "schema",
        "name",
        "task",
        "weights",
        "tokenizer",
        "architecture",
        "state_dict",
        "input",
        "outputs",
    }
    return Manifest(
        path=p,
        name=r.str("name"),
        task=task,
        weights=_file_ref(p, r.dict("weights"), "weights"),
        tokenizer=_file_ref(p, tok, "tokenizer"),
        special_tokens=specials,
        architecture=dict(config),
        encoder_prefix=_prefix(p, sd, "encoder"),
        head_prefix=_prefix(p, sd, "head"),
        ignore_keys=tuple(ignore),
        input=spec,
        outputs=tuple(outputs),
        extra={k: v for k, v in data.items() if k not in known},
    )


_SPECIALS = {"bos": "<s>", "eos": "</s>", "pad": "<pad>", "unk": "<unk>"}


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]):
        self.path, self.data = path, data

    def str(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value:
            raise MetaCompressError(f'manifest {self.path}: "{key}" must be a non-empty string')
        return value

    def dict(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        if not isinstance(value, dict):
            raise MetaCompressError(f'manifest {self.path}: "{key}" must be an object')
        return value


def _file_ref(p: Path, section: dict[str, Any], what: str) -> FileRef:
    path = section.get("path")
    if not isinstance(path, str) or not path:
        raise MetaCompressError(f"manifest {p}: {what}.path must name the {what} file")
    digest = section.get("sha256")
    if digest is not None and (not isinstance(digest, str) or len(digest) != 64):
        raise MetaCompressError(f"manifest {p}: {what}.sha256 must be 64 hex digits")
    return FileRef(path, digest.lower() if digest else None)


def _prefix(p: Path, section: dict[str, Any], key: str) -> str:
    value = section.get(key)
    if not isinstance(value, str):
        raise MetaCompressError(
            f"manifest {p}: state_dict.{key} must be the key prefix of the {key}'s tensors"
        )
    return value


def _input_spec(r: _Reader, section: dict[str, Any]) -> InputSpec:
    allowed = set(InputSpec.__dataclass_fields__)
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise MetaCompressError(
            f"manifest {r.path}: unknown input field(s) {unknown}; known: {sorted(allowed)}"
        )
    try:
        spec = InputSpec(**section)
    except TypeError as e:
        raise MetaCompressError(f"manifest {r.path}: input: {e}") from None
    problems = []
    if spec.form not in _FORMS:
        problems.append(f"form must be one of {list(_FORMS)}")
    if spec.encoding not in _ENCODINGS:
        problems.append(f"encoding must be one of {list(_ENCODINGS)}")
    if spec.whitespace not in ("keep", "collapse"):
        problems.append('whitespace must be "keep" or "collapse"')
    if spec.encoding == "graphcodebert-dataflow":
        if spec.language not in ("java", "c"):
            problems.append('language must be "java" or "c" for data-flow input')
        if spec.dataflow_rules not in DATAFLOW_RULES:
            problems.append(f"dataflow_rules must be one of {list(DATAFLOW_RULES)}")
        if spec.comments not in ("remove", "keep"):
            problems.append('comments must be "remove" or "keep"')
    elif spec.max_length < 3:
        problems.append("max_length must leave room for <s> and </s>")
    if problems:
        raise MetaCompressError(f"manifest {r.path}: input: " + "; ".join(problems))
    return spec
