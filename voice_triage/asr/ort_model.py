"""Moonshine's ORT-format model files rebuilt, in memory, as ONNX models that expand their 8-bit
weights only where each is used.

The ``.ort`` files in the ``moonshine-cpp`` wheel store each weight matrix as an int8 tensor ``q``
with a per-tensor scale ``s`` and offset ``b``, and turn it back into floats with three plain nodes,
``Cast(q) * s + b``, in the outer graph. onnxruntime cannot fold those (an ORT-format model is not
optimised again), so every decoder step expanded all 81 of the decoder's weights (~165 MB of floats,
the whole 32768 x 416 embedding table among them) before the step's ``If`` branch used any of them,
and the output head transposed the 54 MB table once more.

``int8_model`` reads a file with onnxruntime's own flatbuffer reader (``onnxruntime.tools``) and
writes the same graph as an ONNX ``ModelProto`` (the few protobuf fields needed are encoded here),
with each weight's uses rewritten. The arithmetic is the file's own, node for node, so the results
are the same to the bit (``tests/test_moonshine.py`` compares logits and transcripts):

- ``MatMul(x, W)``: the weight's ``Cast``, ``Mul`` and ``Add`` are copied next to the product, in the
  branch that uses it. With onnxruntime's priority-based execution order each weight is expanded just
  before its product and released after it (one at a time, 2.8 MB at most), and a branch never
  expands a weight it does not use (the cross-attention projections are used at the first step only).
- ``MatMul(x, Transpose(W))`` (the tied output head): ``HEAD_SLICE`` rows of the int8 table at a time
  are sliced, transposed (as int8), expanded and multiplied, and the slices' logits joined. Each
  logit is its own dot product, so slicing changes nothing in the result.
- ``Gather(W, ids)`` (the token embedding): the int8 rows are gathered first and only they are
  expanded.
- A weight used any other way (the encoder's three convolutions) keeps its nodes where they were.

Large initializers are not copied into the protobuf: each is written as a placeholder that names its
bytes in the ``.ort`` file (external data), and handed to onnxruntime as an array over the file's
bytes (``Rebuilt.initializers``, for ``SessionOptions.add_initializer``), so the weights are held once.

Not ``com.microsoft.MatMulNBits`` with ``bits=8`` (the weights kept 8-bit inside the product, as
``(q + 128 - zero_point) * scale``; the files' offsets are whole multiples of their scales, so it would
match to a rounding): measured with onnxruntime 1.32 on this CPU, its float path (``accuracy_level``
0) took 0.9 ms for a 416 x 1664 product that MatMul does in 0.04 ms (a decoder step 73 ms instead of
35 ms), and its fast path (``accuracy_level`` 4) quantises the activations as well (outputs 0.1 off
where they are about 6 in size): too slow, or not the same transcripts.

Whatever cannot be read raises ``Unsupported`` with the reason; the caller then loads the original
file (``moonshine.py``). A weight whose uses cannot all be rewritten is left on the file's own path.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..errors import RecognizerError

__all__ = ["Unsupported", "int8_model"]

# ONNX's tensor element types (the ORT format numbers them the same way).
FLOAT: Final = 1
UINT8: Final = 2
INT8: Final = 3
INT32: Final = 6
INT64: Final = 7
STRING: Final = 8
#: numpy's names for the element types an initializer handed over as an array may have.
NUMPY_TYPES: Final[dict[int, type[np.generic]]] = {FLOAT: np.float32, UINT8: np.uint8, INT8: np.int8,
                                                   INT32: np.int32, INT64: np.int64}
# ONNX's attribute kinds (the same numbers in both formats too).
A_FLOAT, A_INT, A_STRING, A_TENSOR, A_GRAPH = 1, 2, 3, 4, 5
A_FLOATS, A_INTS, A_STRINGS, A_TENSORS, A_GRAPHS = 6, 7, 8, 9, 10
#: The ORT format's TypeInfoValue union member for a tensor type; its DimensionValueType values.
TENSOR_TYPE: Final = 1
DIM_VALUE, DIM_PARAM = 1, 2
#: TensorProto.DataLocation EXTERNAL: the bytes are named, not included.
EXTERNAL: Final = 1
#: Initializers at least this large are handed over as arrays (``Shared``); smaller ones (shapes,
#: scalars, the Slice bounds) stay in the protobuf, where shape inference reads them.
SHARED_MIN_BYTES: Final = 1024
#: The tied output head (32768 x 416) is expanded this many output columns at a time: 3.4 MB of
#: floats instead of 54 MB (and the 54 MB of its transpose). Measured, a decoder step after 8 s of
#: speech: 82 ms and a 331 MB peak in one piece, 22 ms and 201 MB at 4096 columns, 20 ms and 192 MB
#: at 2048, 19 ms and 190 MB at 1024 (twice the nodes). Each column is its own dot product, so the
#: logits are the same to the bit at any slice size.
HEAD_SLICE: Final = 2048


class Unsupported(RecognizerError):
    """The model file uses something this rewrite does not handle: load the original instead."""


# --- the graph, read from the file ---------------------------------------------------------------


@dataclass(frozen=True)
class Tensor:
    """An initializer: its raw little-endian bytes (a view of the file's buffer where unchanged)."""

    name: str
    dtype: int
    dims: tuple[int, ...]
    raw: npt.NDArray[np.uint8]
    strings: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: int
    value: Any  # float, int, bytes, Tensor, Graph, or a tuple of one of those


@dataclass(frozen=True)
class Node:
    op_type: str
    domain: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: tuple[Attribute, ...] = ()

    def attribute(self, name: str, default: Any = None) -> Any:
        return next((a.value for a in self.attributes if a.name == name), default)


@dataclass(frozen=True)
class Value:
    """A graph input or output: its name and its type, already encoded as an ONNX ``TypeProto``."""

    name: str
    type_proto: bytes


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    initializers: tuple[Tensor, ...]
    inputs: tuple[Value, ...]
    outputs: tuple[Value, ...]
    name: str = "graph"

    def walk(self) -> Iterator[Node]:
        """Every node, in this graph and in the graphs of its nodes' attributes."""
        for node in self.nodes:
            yield node
            for attribute in node.attributes:
                for graph in subgraphs(attribute):
                    yield from graph.walk()


def subgraphs(attribute: Attribute) -> tuple[Graph, ...]:
    if attribute.kind == A_GRAPH:
        return (attribute.value,)
    return tuple(attribute.value) if attribute.kind == A_GRAPHS else ()


@dataclass(frozen=True)
class Model:
    ir_version: int
    opsets: tuple[tuple[str, int], ...]
    graph: Graph


def _text(raw: bytes | None) -> str:
    return raw.decode() if raw else ""


def read_tensor(t: Any) -> Tensor:
    dims = tuple(int(d) for d in t.DimsAsNumpy()) if not t.DimsIsNone() else ()
    if t.ExternalDataOffset() >= 0:
        raise Unsupported(f"initializer {_text(t.Name())} is stored outside the model file")
    # A view of the file's buffer, not a copy.
    raw = np.asarray(t.RawDataAsNumpy(), dtype=np.uint8) if not t.RawDataIsNone() else np.zeros(0, dtype=np.uint8)
    strings = tuple(t.StringData(j) for j in range(t.StringDataLength()))
    return Tensor(_text(t.Name()), int(t.DataType()), dims, raw, strings)


def read_attribute(a: Any) -> Attribute:
    kind = int(a.Type())
    name = _text(a.Name())
    value: Any
    if kind == A_FLOAT:
        value = float(a.F())
    elif kind == A_INT:
        value = int(a.I())
    elif kind == A_STRING:
        value = a.S() or b""
    elif kind == A_TENSOR:
        value = read_tensor(a.T())
    elif kind == A_GRAPH:
        value = read_graph(a.G())
    elif kind == A_FLOATS:
        value = tuple(float(a.Floats(j)) for j in range(a.FloatsLength()))
    elif kind == A_INTS:
        value = tuple(int(a.Ints(j)) for j in range(a.IntsLength()))
    elif kind == A_STRINGS:
        value = tuple(a.Strings(j) for j in range(a.StringsLength()))
    elif kind == A_TENSORS:
        value = tuple(read_tensor(a.Tensors(j)) for j in range(a.TensorsLength()))
    elif kind == A_GRAPHS:
        value = tuple(read_graph(a.Graphs(j)) for j in range(a.GraphsLength()))
    else:
        raise Unsupported(f"attribute {name} has kind {kind}, which this reader does not convert")
    return Attribute(name, kind, value)


def tensor_info(value_info: Any) -> Any:
    """The ``TensorTypeAndShape`` of an ORT-format ``ValueInfo``, or None when it is not a tensor's."""
    from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs.TensorTypeAndShape import TensorTypeAndShape

    info = value_info.Type() if value_info is not None else None
    if info is None or info.ValueType() != TENSOR_TYPE:
        return None
    table = info.Value()
    tensor_type = TensorTypeAndShape()
    tensor_type.Init(table.Bytes, table.Pos)
    return tensor_type


def type_proto(value_info: Any, name: str) -> bytes:
    """An ORT-format tensor type as an encoded ONNX ``TypeProto``."""
    tensor_type = tensor_info(value_info)
    if tensor_type is None:
        raise Unsupported(f"graph value {name} is not a tensor of a known type")
    out = Message().varint(1, int(tensor_type.ElemType()))
    shape = tensor_type.Shape()
    if shape is not None:
        dims = Message()
        for j in range(shape.DimLength()):
            dim, value = Message(), shape.Dim(j).Value()
            if value is not None and value.DimType() == DIM_VALUE:
                dim.varint(1, int(value.DimValue()))
            elif value is not None and value.DimType() == DIM_PARAM:
                dim.string(2, _text(value.DimParam()))
            dims.message(1, dim)
        out.message(2, dims)
    return Message().message(1, out).encode()


def value_infos(g: Any, names: set[str]) -> dict[str, Any]:
    """The ``ValueInfo`` of each of ``names`` (the graph's inputs and outputs): the scan of the
    graph's thousands of values stops once all are found."""
    found: dict[str, Any] = {}
    for i in range(g.NodeArgsLength()):
        if len(found) == len(names):
            break
        info = g.NodeArgs(i)
        name = _text(info.Name())
        if name in names:
            found[name] = info
    return found


def read_graph(g: Any) -> Graph:
    inputs = [_text(g.Inputs(i)) for i in range(g.InputsLength())]
    outputs = [_text(g.Outputs(i)) for i in range(g.OutputsLength())]
    infos = value_infos(g, {*inputs, *outputs})

    def values(names: Iterable[str]) -> tuple[Value, ...]:
        return tuple(Value(name, type_proto(infos.get(name), name)) for name in names)

    nodes = []
    for i in range(g.NodesLength()):
        n = g.Nodes(i)
        if n is None:
            continue
        if n.Type() != 0:
            raise Unsupported(f"node {_text(n.Name())} is a fused node, which has no ONNX form")
        nodes.append(Node(_text(n.OpType()), _text(n.Domain()), _text(n.Name()),
                          tuple(_text(n.Inputs(j)) for j in range(n.InputsLength())),
                          tuple(_text(n.Outputs(j)) for j in range(n.OutputsLength())),
                          tuple(read_attribute(n.Attributes(j)) for j in range(n.AttributesLength()))))
    if g.SparseInitializersLength():
        raise Unsupported("the graph has sparse initializers")
    return Graph(tuple(nodes), tuple(read_tensor(g.Initializers(i)) for i in range(g.InitializersLength())),
                 values(inputs), values(outputs))


def read_model(buffer: bytes) -> Model:
    from onnxruntime.tools.ort_format_model.ort_flatbuffers_py import fbs

    session = fbs.InferenceSession.InferenceSession.GetRootAs(buffer, 0)
    model = session.Model()
    if model is None or model.Graph() is None:
        raise Unsupported("no model graph in the file")
    opsets = tuple((_text(model.OpsetImport(i).Domain()), int(model.OpsetImport(i).Version()))
                   for i in range(model.OpsetImportLength()))
    return Model(int(model.IrVersion()), opsets, read_graph(model.Graph()))


# --- the rewrite ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantized:
    """One weight the file dequantises as ``Cast(q) * scale + offset`` in the outer graph."""

    codes: Tensor
    nodes: tuple[Node, Node, Node]  # the Cast, the Mul and the Add

    @property
    def output(self) -> str:
        return self.nodes[2].outputs[0]


def tensor(name: str, array: npt.NDArray[Any], dtype: int) -> Tensor:
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return Tensor(name, dtype, tuple(int(d) for d in array.shape), flat)


def is_scalar(inits: dict[str, Tensor], name: str) -> bool:
    t = inits.get(name)
    return t is not None and t.dtype == FLOAT and int(np.prod(t.dims, dtype=np.int64)) == 1


def uses(graph: Graph) -> dict[str, list[tuple[Node, int]]]:
    """Every (node, input position) that reads each value, in the graph and its subgraphs."""
    out: dict[str, list[tuple[Node, int]]] = {}
    for node in graph.walk():
        for k, name in enumerate(node.inputs):
            out.setdefault(name, []).append((node, k))
    return out


def find_quantized(graph: Graph, used: dict[str, list[tuple[Node, int]]]) -> list[Quantized]:
    """The outer graph's int8 weights and the three nodes that expand each: ``Cast`` to float, then
    ``Mul`` and ``Add`` by scalars (each node's result read by the next alone)."""
    inits = {t.name: t for t in graph.initializers}
    found = []
    for cast in graph.nodes:
        if cast.op_type != "Cast" or cast.domain or len(cast.inputs) != 1 or cast.attribute("to") != FLOAT:
            continue
        codes = inits.get(cast.inputs[0])
        if codes is None or codes.dtype != INT8:
            continue
        after_cast = used.get(cast.outputs[0], [])
        if len(after_cast) != 1 or after_cast[0][0].op_type != "Mul" or after_cast[0][0].domain:
            continue
        mul = after_cast[0][0]
        after_mul = used.get(mul.outputs[0], [])
        if len(after_mul) != 1 or after_mul[0][0].op_type != "Add" or after_mul[0][0].domain:
            continue
        add = after_mul[0][0]
        if is_scalar(inits, mul.inputs[1 - after_cast[0][1]]) and is_scalar(inits, add.inputs[1 - after_mul[0][1]]):
            found.append(Quantized(codes, (cast, mul, add)))
    return found


class Rewrite:
    """Builds the replacement nodes: each weight expanded where it is used, the moment before."""

    def __init__(self) -> None:
        self.replaced: dict[int, tuple[Node, ...]] = {}
        self.added: list[Tensor] = []
        self.serial = 0

    def fresh(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}/int8_{self.serial}"

    def expand(self, weight: Quantized, codes: str, out: str) -> tuple[Node, ...]:
        """The file's own ``Cast``, ``Mul`` and ``Add``, on ``codes`` (the weight or a part of it), into ``out``."""
        cast, mul, add = weight.nodes
        casted, scaled = self.fresh(cast.outputs[0]), self.fresh(mul.outputs[0])
        return (replace(cast, name=self.fresh(cast.name), inputs=(codes,), outputs=(casted,)),
                replace(mul, name=self.fresh(mul.name), outputs=(scaled,),
                        inputs=tuple(casted if i == cast.outputs[0] else i for i in mul.inputs)),
                replace(add, name=self.fresh(add.name), outputs=(out,),
                        inputs=tuple(scaled if i == mul.outputs[0] else i for i in add.inputs)))

    def constant(self, value: int) -> str:
        name = f"int8_rewrite/{value}"
        if all(t.name != name for t in self.added):
            self.added.append(tensor(name, np.array([value], dtype=np.int64), INT64))
        return name

    def matmul(self, weight: Quantized, node: Node) -> tuple[Node, ...]:
        weights = self.fresh(weight.output)
        return (*self.expand(weight, weight.codes.name, weights),
                replace(node, inputs=(node.inputs[0], weights, *node.inputs[2:])))

    def head(self, weight: Quantized, node: Node) -> tuple[Node, ...]:
        """``x @ W.T``, ``HEAD_SLICE`` rows of ``W`` at a time (sliced and transposed while still
        int8, then expanded), the slices' columns joined."""
        rows = weight.codes.dims[0]
        nodes: list[Node] = []
        parts = []
        for start in range(0, rows, HEAD_SLICE):
            piece, turned = self.fresh(weight.codes.name), self.fresh(weight.codes.name)
            weights, part = self.fresh(weight.output), self.fresh(node.outputs[0])
            bounds = (self.constant(start), self.constant(min(start + HEAD_SLICE, rows)), self.constant(0))
            nodes.append(Node("Slice", "", self.fresh(node.name), (weight.codes.name, *bounds), (piece,)))
            nodes.append(Node("Transpose", "", self.fresh(node.name), (piece,), (turned,),
                              (Attribute("perm", A_INTS, (1, 0)),)))
            nodes.extend(self.expand(weight, turned, weights))
            nodes.append(replace(node, name=self.fresh(node.name), inputs=(node.inputs[0], weights), outputs=(part,)))
            parts.append(part)
        nodes.append(Node("Concat", "", self.fresh(node.name), tuple(parts), node.outputs,
                          (Attribute("axis", A_INT, -1),)))
        return tuple(nodes)

    def gather(self, weight: Quantized, node: Node) -> tuple[Node, ...]:
        """The rows a ``Gather`` reads, taken from the int8 codes, then expanded."""
        rows = self.fresh(weight.output)
        return (replace(node, inputs=(weight.codes.name, *node.inputs[1:]), outputs=(rows,)),
                *self.expand(weight, rows, node.outputs[0]))

    def weight(self, weight: Quantized, used: dict[str, list[tuple[Node, int]]]) -> bool:
        """Rewrites every use of one weight, or (when one of them is of another kind) none."""
        changes: dict[int, tuple[Node, ...]] = {}
        for reader, position in used.get(weight.output, []):
            if reader.domain:
                return False
            if reader.op_type == "MatMul" and position == 1:
                changes[id(reader)] = self.matmul(weight, reader)
            elif reader.op_type == "Gather" and position == 0 and reader.attribute("axis", 0) == 0:
                changes[id(reader)] = self.gather(weight, reader)
            elif (reader.op_type == "Transpose" and len(weight.codes.dims) == 2
                  and tuple(reader.attribute("perm", (1, 0))) == (1, 0)
                  and used.get(reader.outputs[0])
                  and all(n.op_type == "MatMul" and not n.domain and k == 1 for n, k in used[reader.outputs[0]])):
                changes[id(reader)] = ()
                changes.update({id(matmul): self.head(weight, matmul) for matmul, _ in used[reader.outputs[0]]})
            else:
                return False
        if not changes:
            return False
        changes.update({id(node): () for node in weight.nodes})
        self.replaced.update(changes)
        return True


def rewritten(graph: Graph, changes: Rewrite, outer: bool = True) -> Graph:
    nodes: list[Node] = []
    for node in graph.nodes:
        for new in changes.replaced.get(id(node), (node,)):
            attributes = tuple(
                replace(a, value=rewritten(a.value, changes, False)) if a.kind == A_GRAPH
                else replace(a, value=tuple(rewritten(g, changes, False) for g in a.value)) if a.kind == A_GRAPHS
                else a
                for a in new.attributes)
            nodes.append(replace(new, attributes=attributes))
    initializers = graph.initializers
    if outer:
        read = {name for node in Graph(tuple(nodes), (), (), ()).walk() for name in node.inputs}
        read |= {v.name for v in graph.outputs}
        initializers = tuple(t for t in graph.initializers + tuple(changes.added) if t.name in read)
    return replace(graph, nodes=tuple(nodes), initializers=initializers)


# --- ONNX protobuf encoding ----------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values: ten bytes of two's complement, as protobuf does
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class Message:
    """One protobuf message being written, kept as a list of pieces (large tensors are not copied
    until the whole model is joined, once)."""

    def __init__(self) -> None:
        self.parts: list[bytes | npt.NDArray[np.uint8]] = []
        self.size = 0

    def _add(self, piece: bytes | npt.NDArray[np.uint8]) -> None:
        self.parts.append(piece)
        self.size += len(piece)

    def varint(self, field: int, value: int) -> Message:
        self._add(_varint(field << 3) + _varint(value))
        return self

    def fixed32(self, field: int, value: float) -> Message:
        self._add(_varint(field << 3 | 5) + struct.pack("<f", value))
        return self

    def blob(self, field: int, data: bytes | npt.NDArray[np.uint8]) -> Message:
        self._add(_varint(field << 3 | 2) + _varint(len(data)))
        if len(data):
            self._add(data)
        return self

    def string(self, field: int, text: str) -> Message:
        return self.blob(field, text.encode())

    def message(self, field: int, inner: Message) -> Message:
        self._add(_varint(field << 3 | 2) + _varint(inner.size))
        self.parts.extend(inner.parts)
        self.size += inner.size
        return self

    def encode(self) -> bytes:
        return b"".join(part if isinstance(part, bytes) else part.data for part in self.parts)


class Shared:
    """The outer graph's large initializers, handed to onnxruntime as arrays over the file's bytes
    (``SessionOptions.add_initializer``) instead of being copied into the protobuf. Each is written as a
    placeholder naming the same bytes in the same file (external data), which onnxruntime does not
    read when it is given the array, and would find unchanged if it did."""

    def __init__(self, buffer: bytes, location: str) -> None:
        self.view = np.frombuffer(buffer, dtype=np.uint8)
        self.start = int(self.view.ctypes.data)
        self.location = location
        self.arrays: dict[str, npt.NDArray[Any]] = {}

    def placeholder(self, t: Tensor) -> Message | None:
        kind = NUMPY_TYPES.get(t.dtype)
        size = int(t.raw.nbytes)
        if kind is None or size < SHARED_MIN_BYTES:
            return None
        offset = int(t.raw.ctypes.data) - self.start
        if not 0 <= offset <= len(self.view) - size or offset % np.dtype(kind).itemsize:
            return None  # not a view of the file (made by the rewrite), or not aligned for its type
        self.arrays[t.name] = t.raw.view(kind).reshape(t.dims)
        out = Message()
        for dim in t.dims:
            out.varint(1, dim)
        out.varint(2, t.dtype).string(8, t.name)
        for key, value in (("location", self.location), ("offset", str(offset)), ("length", str(size))):
            out.message(13, Message().string(1, key).string(2, value))
        return out.varint(14, EXTERNAL)


def encode_tensor(t: Tensor, shared: Shared | None = None) -> Message:
    placeholder = shared.placeholder(t) if shared is not None else None
    if placeholder is not None:
        return placeholder
    out = Message()
    for dim in t.dims:
        out.varint(1, dim)
    out.varint(2, t.dtype)
    for s in t.strings:
        out.blob(6, s)
    out.string(8, t.name)
    if t.dtype != STRING:
        out.blob(9, t.raw)
    return out


def encode_attribute(a: Attribute) -> Message:
    out = Message().string(1, a.name).varint(20, a.kind)
    if a.kind == A_FLOAT:
        out.fixed32(2, a.value)
    elif a.kind == A_INT:
        out.varint(3, a.value)
    elif a.kind == A_STRING:
        out.blob(4, a.value)
    elif a.kind == A_TENSOR:
        out.message(5, encode_tensor(a.value))
    elif a.kind == A_GRAPH:
        out.message(6, encode_graph(a.value))
    elif a.kind == A_FLOATS:
        for f in a.value:
            out.fixed32(7, f)
    elif a.kind == A_INTS:
        for i in a.value:
            out.varint(8, i)
    elif a.kind == A_STRINGS:
        for s in a.value:
            out.blob(9, s)
    elif a.kind == A_TENSORS:
        for t in a.value:
            out.message(10, encode_tensor(t))
    else:
        for g in a.value:
            out.message(11, encode_graph(g))
    return out


def encode_node(node: Node) -> Message:
    out = Message()
    for name in node.inputs:
        out.string(1, name)
    for name in node.outputs:
        out.string(2, name)
    out.string(3, node.name).string(4, node.op_type)
    for a in node.attributes:
        out.message(5, encode_attribute(a))
    if node.domain:
        out.string(7, node.domain)
    return out


def encode_value(v: Value) -> Message:
    return Message().string(1, v.name).blob(2, v.type_proto)


def encode_graph(graph: Graph, shared: Shared | None = None) -> Message:
    out = Message()
    for node in graph.nodes:
        out.message(1, encode_node(node))
    out.string(2, graph.name)
    for t in graph.initializers:
        out.message(5, encode_tensor(t, shared))
    for v in graph.inputs:
        out.message(11, encode_value(v))
    for v in graph.outputs:
        out.message(12, encode_value(v))
    return out


def encode_model(model: Model, shared: Shared | None = None) -> bytes:
    out = Message().varint(1, model.ir_version).string(2, "voice_triage")
    out.message(7, encode_graph(model.graph, shared))
    for domain, version in model.opsets:
        out.message(8, Message().string(1, domain).varint(2, version))
    return out.encode()


@dataclass(frozen=True)
class Rebuilt:
    """A model rebuilt as ONNX: the protobuf, the large initializers that go with it (arrays over
    the file's bytes: keep them while a session uses them), the folder its placeholders name, and
    how many of its int8 weights are now expanded only where used (of how many)."""

    onnx: bytes
    initializers: dict[str, npt.NDArray[Any]]
    folder: Path
    weights: int
    rewritten: int


def int8_model(path: Path) -> Rebuilt:
    """``path`` (an ORT-format file) as an ONNX model whose 8-bit weights are expanded only where they
    are used (see the module docstring). Raises ``Unsupported`` when it cannot be converted."""
    try:
        buffer = path.read_bytes()
    except OSError as exc:
        raise Unsupported(f"{path} could not be read: {exc.strerror}") from exc
    try:
        model = read_model(buffer)
    except Unsupported:
        raise
    except Exception as exc:  # the flatbuffer reader raises its own types on a damaged file
        raise Unsupported(f"{path.name} could not be read as an ORT-format model: {exc}") from exc
    used = uses(model.graph)
    weights = find_quantized(model.graph, used)
    changes = Rewrite()
    done = sum(changes.weight(weight, used) for weight in weights)
    shared = Shared(buffer, path.name)
    onnx = encode_model(replace(model, graph=rewritten(model.graph, changes)), shared)
    return Rebuilt(onnx, shared.arrays, path.parent, len(weights), done)
