"""Build an ONNX graph of a BERT encoder (all-MiniLM-L6-v2) from safetensors weights, without torch.

The graph reproduces Hugging Face ``BertModel`` (absolute position embeddings, post-LayerNorm, GELU with
erf) and outputs ``last_hidden_state`` of shape (batch, seq, hidden). Pooling happens outside the graph.
References: Devlin et al. 2019 (BERT); Reimers & Gurevych 2019 (Sentence-BERT mean pooling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 17


@dataclass(frozen=True, slots=True)
class BertShape:
    """Dimensions of the encoder read from its config.json."""

    layers: int = 6
    hidden: int = 384
    heads: int = 12
    eps: float = 1e-12


class _Builder:
    """Accumulates nodes and initialisers with unique names."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, stem: str, value: np.ndarray) -> str:
        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def linear(self, x: str, prefix: str) -> str:
        """x @ W^T + b with W stored (out, in) as in PyTorch; the MatMul weight is what int8 quantises."""
        w = self.const(prefix + ".wT", np.ascontiguousarray(self.weights[prefix + ".weight"].T))
        b = self.const(prefix + ".b", self.weights[prefix + ".bias"])
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        scale = self.const(prefix + ".g", self.weights[prefix + ".weight"])
        bias = self.const(prefix + ".b", self.weights[prefix + ".bias"])
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def _embeddings(b: _Builder, shape: BertShape) -> str:
    words = b.op("Gather", [b.const("word_emb", b.weights["embeddings.word_embeddings.weight"]), "input_ids"])
    seq_len = b.op("Gather", [b.op("Shape", ["input_ids"]), b.const("one", np.array(1, dtype=np.int64))])
    positions = b.op(
        "Range", [b.const("zero", np.array(0, dtype=np.int64)), seq_len, b.const("step", np.array(1, dtype=np.int64))]
    )
    pos = b.op("Gather", [b.const("pos_emb", b.weights["embeddings.position_embeddings.weight"]), positions])
    # token_type_ids are all zero for single sentences: add row 0 of the type table as a constant.
    type0 = b.const("type_emb0", b.weights["embeddings.token_type_embeddings.weight"][0])
    summed = b.op("Add", [b.op("Add", [words, pos]), type0])
    return b.layer_norm(summed, "embeddings.LayerNorm", shape.eps)


def _mask_bias(b: _Builder) -> str:
    """(1 - mask) * -1e4 shaped (batch, 1, 1, seq), added to attention scores."""
    mask = b.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    inverted = b.op("Sub", [b.const("onef", np.array(1.0, dtype=np.float32)), mask])
    bias = b.op("Mul", [inverted, b.const("neg", np.array(-10000.0, dtype=np.float32))])
    return b.op("Unsqueeze", [bias, b.const("axes", np.array([1, 2], dtype=np.int64))])


def _attention(b: _Builder, x: str, prefix: str, mask_bias: str, shape: BertShape) -> str:
    head_dim = shape.hidden // shape.heads
    split = b.const("split_shape", np.array([0, 0, shape.heads, head_dim], dtype=np.int64))
    q = b.op("Transpose", [b.op("Reshape", [b.linear(x, prefix + ".query"), split])], perm=[0, 2, 1, 3])
    k = b.op("Transpose", [b.op("Reshape", [b.linear(x, prefix + ".key"), split])], perm=[0, 2, 3, 1])
    v = b.op("Transpose", [b.op("Reshape", [b.linear(x, prefix + ".value"), split])], perm=[0, 2, 1, 3])
    scale = b.const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    scores = b.op("Add", [b.op("Mul", [b.op("MatMul", [q, k]), scale]), mask_bias])
    context = b.op("MatMul", [b.op("Softmax", [scores], axis=-1), v])
    merged = b.op("Transpose", [context], perm=[0, 2, 1, 3])
    return b.op("Reshape", [merged, b.const("merge_shape", np.array([0, 0, shape.hidden], dtype=np.int64))])


def _gelu(b: _Builder, x: str) -> str:
    """GELU(x) = 0.5 x (1 + erf(x / sqrt(2))) (Hendrycks & Gimpel 2016), exact form used by BERT."""
    scaled = b.op("Mul", [x, b.const("rsqrt2", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))])
    one_plus = b.op("Add", [b.op("Erf", [scaled]), b.const("onef", np.array(1.0, dtype=np.float32))])
    return b.op("Mul", [b.op("Mul", [x, one_plus]), b.const("half", np.array(0.5, dtype=np.float32))])


def _layer(b: _Builder, x: str, i: int, mask_bias: str, shape: BertShape) -> str:
    p = f"encoder.layer.{i}"
    attn = _attention(b, x, p + ".attention.self", mask_bias, shape)
    attn_out = b.op("Add", [b.linear(attn, p + ".attention.output.dense"), x])
    h = b.layer_norm(attn_out, p + ".attention.output.LayerNorm", shape.eps)
    inter = _gelu(b, b.linear(h, p + ".intermediate.dense"))
    out = b.op("Add", [b.linear(inter, p + ".output.dense"), h])
    return b.layer_norm(out, p + ".output.LayerNorm", shape.eps)


def build_bert_graph(weights: dict[str, np.ndarray], shape: BertShape) -> onnx.ModelProto:
    """An ONNX model (opset 17) mapping input_ids/attention_mask (int64, batch x seq) to last_hidden_state."""
    b = _Builder(weights)
    x = _embeddings(b, shape)
    bias = _mask_bias(b)
    for i in range(shape.layers):
        x = _layer(b, x, i, bias, shape)
    b.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"]) for n in ("input_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", shape.hidden])
    graph = helper.make_graph(b.nodes, "minilm_encoder", inputs, [output], initializer=b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="cxops")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def shape_from_config(config: dict[str, object]) -> BertShape:
    """BertShape from a Hugging Face config.json dictionary."""
    return BertShape(
        layers=int(config.get("num_hidden_layers", 6)),  # type: ignore[call-overload]
        hidden=int(config.get("hidden_size", 384)),  # type: ignore[call-overload]
        heads=int(config.get("num_attention_heads", 12)),  # type: ignore[call-overload]
        eps=float(config.get("layer_norm_eps", 1e-12)),  # type: ignore[arg-type]
    )


def write_fp32_model(weights_path: Path, shape: BertShape, target: Path) -> None:
    """Read safetensors weights with numpy and write the fp32 ONNX encoder to `target`."""
    weights = load_file(str(weights_path))
    model = build_bert_graph(weights, shape)
    onnx.save_model(model, str(target))
