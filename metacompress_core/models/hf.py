"""A backend for a local Hugging Face directory (save_pretrained) of any AutoModelForSequenceClassification.

Loaded with safetensors only, never with remote code, never from a hub. A directory with only a pickled
`pytorch_model.bin` is refused unless the caller opts in (`allow_pickle=True`, CLI `--allow-pickle`); it is then
read with torch.load(weights_only=True), which refuses anything but tensors.

An optional `metacompress.json` beside the model states what the directory cannot:
    {"task": "clone", "labels": ["not-clone", "clone"], "max_length": 512,
     "input_form": "pair-text" | "pair-siamese" | "single", "whitespace": "keep" | "collapse"}
`labels` says what each output index means. "pair-text" feeds a pair as the tokenizer's text pair;
"pair-siamese" encodes the two functions separately and classifies their concatenated first-token vectors
(the head's first layer then takes 2 x hidden features). With a `"siamese"` object in the sidecar the folder is
instead a bare `AutoModel` encoder plus a head file (metacompress_core/models/siamese.py: mean or first-token
pooling, a concat or cosine head). In both siamese forms a function's vector is computed once per distinct text
and reused for all its partners (kept in memory by the text's content key, as predictions are).

An **ONNX model folder** (`model.onnx` with config.json and the tokenizer files, and no safetensors or .bin
weights; `metacompress compress --method int8` writes one) is run by ONNX Runtime with the same tokenisation,
labels and sidecar: its graph maps tokens to logits (onnx_runtime.py states the contract), or for a bi-encoder
(`"siamese"` in the sidecar) to the pooled function vectors that the head file reads. Torch weights are always
computed in float32 (float16 files included; `half` on CUDA only).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import (
    TASK_INPUT,
    TASK_LABELS,
    ModelInput,
    canonical_task,
    check_inputs,
    label_permutation,
    to_probabilities,
)
from metacompress_core.models.batching import collate, pair_lengths, run_batched, unique_first
from metacompress_core.models.device import DeviceOptions, prepare
from metacompress_core.models.fingerprint import file_sha256, model_fingerprint
from metacompress_core.models.loading import local_model_path
from metacompress_core.models.onnx_runtime import (
    GRAPH_VERSION,
    OnnxGraph,
    OnnxPart,
    export_graph,
    onnx_folder,
    require_onnx,
)
from metacompress_core.models.siamese import VectorCache, check_spec, load_head, pool

SIDECAR = "metacompress.json"
ONNX_FILE = "model.onnx"  # an ONNX model folder's graph
_FORMS = ("single", "pair-text", "pair-siamese")
_SIDECAR_KEYS = {"task", "labels", "max_length", "input_form", "whitespace", "siamese"}
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)
_GENERIC_LABEL = re.compile(r"^LABEL_\d+$")


def weight_files(directory: Path, allow_pickle: bool) -> tuple[list[Path], bool]:
    """The weight files to load and whether they are pickles; refuses pickles without the opt-in."""
    safetensors = sorted(directory.glob("*.safetensors"))
    if safetensors:
        return safetensors, False
    pickles = sorted(directory.glob("pytorch_model*.bin"))
    if pickles:
        if not allow_pickle:
            raise MetaCompressError(
                f"{directory} has only pickled weights ({pickles[0].name}), which MetaCompress does not load by "
                "default: convert them to model.safetensors (save_pretrained(..., safe_serialization=True)), or "
                "opt in with allow_pickle=True (CLI: --allow-pickle) to read them with torch.load(weights_only=True)"
            )
        return pickles, True
    raise MetaCompressError(
        f"{directory} holds no model weights (model.safetensors, or {ONNX_FILE} for an ONNX model folder)"
    )


def is_onnx_folder(directory: Path) -> bool:
    """A folder whose model is its model.onnx: one, and no torch weights beside it (those would win; a
    bi-encoder's head file is not one)."""
    torch_weights = any(directory.glob("model*.safetensors")) or any(directory.glob("pytorch_model*.bin"))
    return (directory / ONNX_FILE).is_file() and not torch_weights


class HFBackend:
    def __init__(
        self,
        directory: str | Path,
        *,
        task: str | None = None,
        options: DeviceOptions | None = None,
        allow_pickle: bool = False,
    ):
        self.directory = local_model_path(directory)
        if not (self.directory / "config.json").is_file():
            raise MetaCompressError(
                f"{self.directory} has no config.json: save the model with save_pretrained"
            )
        self.options = options or DeviceOptions()
        self.onnx_folder = is_onnx_folder(self.directory)  # run by ONNX Runtime, whatever the backend setting
        self._runs_onnx = self.options.backend == "onnx" or self.onnx_folder
        if self._runs_onnx:
            require_onnx()
        self.name = self.directory.name
        sidecar = _read_sidecar(self.directory)
        self.task: str | None = canonical_task(sidecar.get("task")) or task
        if self.onnx_folder:
            files, pickled = [self.directory / ONNX_FILE], False
        else:
            files, pickled = weight_files(self.directory, allow_pickle)
        form = sidecar.get("input_form") or ("pair-text" if TASK_INPUT.get(self.task) == "pair" else None)
        if form is not None and form not in _FORMS:
            raise MetaCompressError(f"{self.directory / SIDECAR}: input_form must be one of {list(_FORMS)}")
        if self.task and form and (form == "single") != (TASK_INPUT[self.task] == "single"):
            raise MetaCompressError(
                f"{self.directory / SIDECAR}: a {self.task!r} model cannot take {form!r} input"
            )
        self.input_form = form  # None: single code strings and text pairs are both accepted
        self.whitespace = sidecar.get("whitespace", "keep")
        self.siamese: dict | None = None  # the bi-encoder form: an AutoModel encoder + a head file
        if "siamese" in sidecar:
            if form != "pair-siamese":
                raise MetaCompressError(
                    f'{self.directory / SIDECAR}: "siamese" needs "input_form": "pair-siamese"'
                )
            self.siamese = check_spec(sidecar["siamese"], self.directory / SIDECAR)
        self._vectors = VectorCache()
        self._onnx: dict[str, OnnxPart | OnnxGraph] = {}  # "logits" / "vectors", exported on first use
        if self.onnx_folder:
            if form == "pair-siamese" and self.siamese is None:
                raise MetaCompressError(
                    f'{self.directory}: an ONNX model folder cannot be "pair-siamese" without a "siamese" head '
                    "file (its head reads two function vectors, which one token-to-logits graph cannot take); "
                    "use the torch weights"
                )
            config = self._load_config()
            model = None
        else:
            model = self._load_model(pickled)
            config = model.config
        self._tokenizer = self._load_tokenizer()
        head_files: list[Path] = []
        if self.siamese is not None:
            head_files = [self.directory / self.siamese["file"]]
            self._head = load_head(head_files[0], self.siamese["head"], config.hidden_size)
            n_outputs = 2
        else:
            if form == "pair-siamese":
                _restore_siamese_head(model, files, pickled)
            n_outputs = config.num_labels
        if model is None:
            if self.siamese is not None:
                graph = OnnxGraph(
                    files[0], self.options.threads, config.hidden_size, "the pooled function vectors"
                )
                self._onnx["vectors"] = graph
            else:
                self._onnx["logits"] = OnnxGraph(files[0], self.options.threads, n_outputs)
            self._model, self._device, half = None, torch.device("cpu"), False
        else:
            self._model, self._device, half = prepare(model, self.options)
        if self.siamese is not None:
            self._head.to(self._device)
        outputs = sidecar.get("labels") or _config_labels(config, self.task, n_outputs)
        if len(outputs) != n_outputs:
            raise MetaCompressError(
                f"{self.directory}: {len(outputs)} labels are stated but the model has {n_outputs} outputs"
            )
        self.labels, self._order = label_permutation(outputs, self.task)
        self.max_length = int(sidecar.get("max_length") or _default_max_length(self._tokenizer, config))
        hashes = {f"weights/{p.name}": file_sha256(p) for p in [*files, *head_files]}
        for name in ("config.json", SIDECAR, *_TOKENIZER_FILES):
            if (self.directory / name).is_file():
                hashes[name] = file_sha256(self.directory / name)
        settings = {
            "task": self.task,
            "outputs": list(outputs),
            "input_form": form,
            "whitespace": self.whitespace,
            "max_length": self.max_length,
            "pair_truncation": "fair",
            "half": half,
        }
        if self.siamese is not None:
            settings["siamese"] = self.siamese
        if self.options.backend != "torch" and not self.onnx_folder:
            settings["backend"] = self.options.backend  # equal within 1e-4, but not the same computation
        self.fingerprint = model_fingerprint(hashes, settings)

    @property
    def pairs(self) -> bool | None:
        return None if self.input_form is None else self.input_form != "single"

    # ---- loading ---------------------------------------------------------------------------------------------

    def _load_config(self):
        from transformers import AutoConfig

        try:
            return AutoConfig.from_pretrained(self.directory, local_files_only=True, trust_remote_code=False)
        except ValueError as e:
            raise MetaCompressError(
                f"{self.directory}: its config needs custom model code, which MetaCompress never runs "
                f"(trust_remote_code is off): {str(e).splitlines()[0]}"
            ) from None
        except OSError as e:
            raise MetaCompressError(f"cannot read {self.directory / 'config.json'}: {e}") from None

    def _load_model(self, pickled: bool):
        from transformers import AutoModel, AutoModelForSequenceClassification

        auto = AutoModel if self.siamese is not None else AutoModelForSequenceClassification
        common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
        config = self._load_config()
        from transformers.utils import logging as hf_logging

        quiet = logging.getLogger("transformers.modeling_utils")
        level = quiet.level
        if self.input_form == "pair-siamese":
            quiet.setLevel(logging.ERROR)  # the head's expected re-initialisation is not news
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a loading bar per model is noise in a CLI or an editor
        try:
            return auto.from_pretrained(
                self.directory,
                config=config,
                use_safetensors=not pickled,
                weights_only=True,
                dtype=torch.float32,  # float16 files too: CPUs compute in float32; `half` is a device option
                ignore_mismatched_sizes=self.input_form == "pair-siamese" and self.siamese is None,
                **common,
            )
        except (OSError, ValueError, RuntimeError, KeyError) as e:
            raise MetaCompressError(
                f"cannot load {self.directory} as a sequence-classification model: {str(e).splitlines()[0]}"
            ) from None
        finally:
            quiet.setLevel(level)
            if bars:
                hf_logging.enable_progress_bar()

    def _load_tokenizer(self):
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(
                self.directory, local_files_only=True, trust_remote_code=False
            )
        except (OSError, ValueError, KeyError) as e:
            raise MetaCompressError(
                f"cannot load the tokenizer of {self.directory} (save it beside the model with "
                f"tokenizer.save_pretrained): {str(e).splitlines()[0]}"
            ) from None

    # ---- prediction ------------------------------------------------------------------------------------------

    def predict(self, inputs: Sequence[ModelInput]) -> np.ndarray:
        check_inputs(inputs, self.pairs, self.name)
        if not inputs:
            return np.empty((0, len(self.labels)), dtype=np.float32)
        if self.input_form == "pair-siamese":
            return self._predict_siamese(inputs)
        items, where = unique_first(list(inputs))
        encoded = [self._encode(item) for item in items]
        logits = self._batched(encoded, self._run_logits)
        return to_probabilities(logits, self._order)[where]

    def _text(self, code: str) -> str:
        return " ".join(code.split()) if self.whitespace == "collapse" else code

    def _encode(self, item: ModelInput) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(input ids, token type ids) of a function or a pair. A pair is truncated fairly (each side keeps
        half the budget, a short side lends the rest), exactly as `metacompress distill` trains on pairs;
        the tokenizer's own "longest_first" would cut differently and shift the model's scores."""
        tok = getattr(self._tokenizer, "backend_tokenizer", None)
        if tok is None or tok.post_processor is None:  # not a `tokenizers` tokenizer: its own truncation
            texts = (self._text(item),) if isinstance(item, str) else tuple(self._text(x) for x in item)
            enc = self._tokenizer(
                *texts, truncation=True, max_length=self.max_length, return_token_type_ids=True
            )
            return tuple(enc["input_ids"]), tuple(enc.get("token_type_ids") or [0] * len(enc["input_ids"]))
        if isinstance(item, str):
            enc = tok.encode(self._text(item), add_special_tokens=False)
            enc.truncate(max(self.max_length - tok.post_processor.num_special_tokens_to_add(False), 0))
            enc = tok.post_process(enc, None, add_special_tokens=True)
        else:
            a, b = (tok.encode(self._text(x), add_special_tokens=False) for x in item)
            budget = max(self.max_length - tok.post_processor.num_special_tokens_to_add(True), 0)
            la, lb = pair_lengths(len(a.ids), len(b.ids), budget)
            a.truncate(la)
            b.truncate(lb)
            enc = tok.post_process(a, b, add_special_tokens=True)
        return tuple(enc.ids), tuple(enc.type_ids)

    def _batched(self, encoded: list[tuple[tuple[int, ...], tuple[int, ...]]], run) -> np.ndarray:
        """`run` over padding-aware length-sorted batches (models/batching.py), the torch and onnx paths alike."""
        lengths = [len(ids) for ids, _ in encoded]
        return run_batched(encoded, lengths, self.options.batch_size, run, self.options.max_padding)

    def _batch(self, batch: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> dict[str, torch.Tensor]:
        inputs = collate(batch, self._tokenizer.pad_token_id or 0)
        if "token_type_ids" not in self._tokenizer.model_input_names:
            del inputs["token_type_ids"]
        return {k: v.to(self._device) for k, v in inputs.items()}

    def _run_logits(self, batch: list[list[int]]) -> np.ndarray:
        inputs = self._batch(batch)
        if self._runs_onnx:
            return self._onnx_part("logits", self._logits, list(inputs))(inputs)
        with torch.inference_mode():
            return self._logits(**inputs).float().cpu().numpy()

    def _run_vectors(self, batch: list[list[int]]) -> np.ndarray:
        inputs = self._batch(batch)
        if self._runs_onnx:
            return self._onnx_part("vectors", self._function_vectors, list(inputs))(inputs)
        with torch.inference_mode():
            return self._function_vectors(**inputs).float().cpu().numpy()

    def _logits(self, **inputs: torch.Tensor) -> torch.Tensor:
        return self._model(**inputs).logits

    def _function_vectors(self, **inputs: torch.Tensor) -> torch.Tensor:
        """The vector the pair head reads of each encoded function (first token; or as the siamese spec says)."""
        hidden = self._model.base_model(**inputs)[0]
        if self.siamese is None:
            return hidden[:, 0, :]
        return pool(hidden, inputs["attention_mask"], self.siamese["pooling"])

    def _onnx_part(self, kind: str, forward, names: list[str]) -> OnnxPart | OnnxGraph:
        if kind not in self._onnx:
            path = onnx_folder() / f"{self.name}-{self.fingerprint[:16]}-{kind}-v{GRAPH_VERSION}.onnx"
            self._onnx[kind] = OnnxPart(forward, names, path, self.options.threads, self._model)
        return self._onnx[kind]

    def export_onnx(self, path: Path) -> None:
        """Write the graph an ONNX model folder holds (onnx_runtime.py: the contract): the logits, or for a
        bi-encoder the pooled function vectors; float32, as the torch model computes."""
        if self._model is None:
            raise MetaCompressError(f"{self.directory} is already an ONNX model folder")
        if self.input_form == "pair-siamese" and self.siamese is None:
            raise MetaCompressError(
                f"{self.directory} is a pair-siamese model whose head (in its weights) reads two functions' "
                "vectors: an ONNX model folder's graph maps one input to logits (or a bi-encoder's input to the "
                "vector its head file reads), which cannot express that head"
            )
        names = ["input_ids", "attention_mask"]
        if "token_type_ids" in self._tokenizer.model_input_names:
            names.append("token_type_ids")
        if self.siamese is not None:
            export_graph(self._function_vectors, names, path, self._model, "vectors")
        else:
            export_graph(self._logits, names, path, self._model, "logits")

    def vectors(self, codes: Sequence[str]) -> np.ndarray:
        """Function vectors, float32 [len(codes), hidden]: each distinct text encoded once, then kept."""

        def compute(todo: list[str]) -> np.ndarray:
            return self._batched([self._encode(code) for code in todo], self._run_vectors)

        return self._vectors.vectors(list(codes), compute)

    def _predict_siamese(self, inputs: Sequence[ModelInput]) -> np.ndarray:
        codes, where = unique_first([code for pair in inputs for code in pair])
        vectors = self.vectors(codes)
        u, v = vectors[where[0::2]], vectors[where[1::2]]
        with torch.inference_mode():
            if self.siamese is not None:
                a, b = (torch.from_numpy(x).to(self._device, dtype=torch.float32) for x in (u, v))
                logits = self._head(a, b).float().cpu().numpy()
            else:
                head = self._model.classifier
                features = np.concatenate([u, v], axis=1)
                x = torch.from_numpy(features).to(self._device, dtype=next(head.parameters()).dtype)
                logits = head(x[:, None, :]).float().cpu().numpy()
        return to_probabilities(logits, self._order)


def _read_sidecar(directory: Path) -> dict[str, Any]:
    path = directory / SIDECAR
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise MetaCompressError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict):
        raise MetaCompressError(f"{path} must hold a JSON object")
    unknown = sorted(set(data) - _SIDECAR_KEYS)
    if unknown:
        raise MetaCompressError(f"{path}: unknown field(s) {unknown}; known: {sorted(_SIDECAR_KEYS)}")
    labels = data.get("labels")
    if labels is not None and (not isinstance(labels, list) or not all(isinstance(x, str) for x in labels)):
        raise MetaCompressError(f"{path}: labels must be a list of strings, one per output index")
    if data.get("whitespace", "keep") not in ("keep", "collapse"):
        raise MetaCompressError(f'{path}: whitespace must be "keep" or "collapse"')
    return data


def _config_labels(config, task: str | None, outputs: int) -> list[str]:
    """Labels from config.id2label; generic LABEL_i names of a known task mean its canonical order."""
    names = [config.id2label.get(i, f"LABEL_{i}") for i in range(outputs)]
    if task in TASK_LABELS and all(_GENERIC_LABEL.match(n) for n in names):
        if len(names) != len(TASK_LABELS[task]):
            raise MetaCompressError(
                f"a {task!r} model has {len(TASK_LABELS[task])} classes; this one has {len(names)} outputs"
            )
        return list(TASK_LABELS[task])
    return names


def _default_max_length(tokenizer, config) -> int:
    limit = getattr(config, "max_position_embeddings", 512) or 512
    if getattr(config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        limit -= 2  # RoBERTa positions start after the padding index
    model_max = getattr(tokenizer, "model_max_length", limit) or limit
    return int(min(limit, model_max, 1 << 16))


def _restore_siamese_head(model, files: list[Path], pickled: bool) -> None:
    """Load a pair head whose first layer takes the two concatenated first-token vectors (2 x hidden).

    from_pretrained cannot size such a head from the config, so it is rebuilt from the weight file's shapes.
    """
    head = getattr(model, "classifier", None)
    if head is None or not (hasattr(head, "dense") and hasattr(head, "out_proj")):
        raise MetaCompressError(
            'input_form "pair-siamese" needs a RoBERTa-style head (classifier.dense, classifier.out_proj); '
            'use "pair-text" for this model'
        )
    state = _head_state(files, pickled)
    if not state:
        raise MetaCompressError("the weights hold no classifier.* tensors for the pair head")
    for name in ("dense", "out_proj"):
        weight = state.get(f"{name}.weight")
        if weight is not None:
            setattr(head, name, torch.nn.Linear(weight.shape[1], weight.shape[0]))
    try:
        head.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise MetaCompressError(f"the pair head does not load: {str(e).splitlines()[0]}") from None


def _head_state(files: list[Path], pickled: bool) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for path in files:
        if pickled:
            tensors = torch.load(path, map_location="cpu", weights_only=True)
        else:
            from safetensors.torch import load_file

            tensors = load_file(str(path))
        state.update({k[len("classifier.") :]: v for k, v in tensors.items() if k.startswith("classifier.")})
    return state
