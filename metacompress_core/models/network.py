"""The network a manifest describes: a RoBERTa encoder and a classification head on the first token.

For a pair (clone detection, "pair-siamese") each function is encoded on its own and the two first-token
vectors are concatenated before the head, as Compressor's and GraphCodeBERT's clone models do. The encoder is
transformers' own RobertaModel built from the manifest's config, so no code comes with a checkpoint.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import RobertaConfig, RobertaModel


class ClassificationHead(nn.Module):
    """dense -> tanh -> out_proj (RoBERTa's head; dropout is inactive at inference)."""

    def __init__(self, in_features: int, hidden: int, classes: int):
        super().__init__()
        self.dense = nn.Linear(in_features, hidden)
        self.out_proj = nn.Linear(hidden, classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out_proj(torch.tanh(self.dense(features)))


class StudentNetwork(nn.Module):
    def __init__(self, config: RobertaConfig, classes: int, pair: bool):
        super().__init__()
        self.encoder = RobertaModel(config, add_pooling_layer=False)
        hidden = config.hidden_size
        self.head = ClassificationHead(hidden * (2 if pair else 1), hidden, classes)
        self.pair = pair

    def encode_sequences(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """First-token vectors of plain token sequences (positions follow RoBERTa's rule from the ids)."""
        return self.encoder(input_ids=ids, attention_mask=attention)[0][:, 0, :]

    def encode_graphs(self, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """First-token vectors of GraphCodeBERT inputs: a data-flow node's embedding is the mean of the
        embeddings of the code tokens it attends to, and attention follows the [B, L, L] graph mask."""
        nodes = positions.eq(0)
        tokens = positions.ge(2)
        embeddings = self.encoder.embeddings.word_embeddings(ids)
        node_to_token = (nodes[:, :, None] & tokens[:, None, :] & mask).to(embeddings.dtype)
        node_to_token = node_to_token / (node_to_token.sum(-1, keepdim=True) + 1e-10)
        averaged = torch.einsum("abc,acd->abd", node_to_token, embeddings)
        embeddings = torch.where(nodes[:, :, None], averaged, embeddings)
        additive = (~mask[:, None, :, :]).to(embeddings.dtype) * torch.finfo(embeddings.dtype).min
        out = self.encoder(
            inputs_embeds=embeddings,
            attention_mask=additive,
            position_ids=positions,
            token_type_ids=torch.zeros_like(positions),
        )[0]
        return out[:, 0, :]

    def classify(self, vectors: torch.Tensor) -> torch.Tensor:
        return self.head(vectors)
