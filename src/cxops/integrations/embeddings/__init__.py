"""Sentence embeddings (all-MiniLM-L6-v2, ONNX int8) shared by knowledge, intents and QA."""

from cxops.integrations.embeddings.runtime import (
    DIMENSION,
    INSTALL_HINT,
    MODEL_ID,
    EmbeddingsUnavailable,
    MiniLMEmbedder,
    build_models,
    default_embedder,
    mean_pool_normalise,
)

__all__ = [
    "DIMENSION",
    "INSTALL_HINT",
    "MODEL_ID",
    "EmbeddingsUnavailable",
    "MiniLMEmbedder",
    "build_models",
    "default_embedder",
    "mean_pool_normalise",
]
