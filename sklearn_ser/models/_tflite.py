"""A minimal reader of TensorFlow Lite flatbuffers: tensors, their data and the operators.

Only what converting released weights needs, with no TensorFlow and no
flatbuffers package: the ``Model -> SubGraph -> Tensor / Operator`` tables
and ``Buffer`` data of the TFLite schema (``tensorflow/lite/schema/schema.fbs``).
Field numbers below are the schema's.

A flatbuffer table starts with a signed 32-bit offset back to its *vtable*
(``uint16`` vtable size, ``uint16`` table size, then one ``uint16`` offset per
field, 0 when the field is absent); offsets to tables, vectors and strings are
unsigned 32-bit and relative to where they are stored; vectors and strings
start with a ``uint32`` length.
"""

import struct
from dataclasses import dataclass, field

import numpy as np

__all__ = ["TFLiteModel", "TFLiteOperator", "TFLiteTensor", "read_tflite"]

#: TFLite ``TensorType`` code -> numpy dtype (the types a weight file holds).
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
           7: np.int16, 9: np.int8, 10: np.float64}

#: ``BuiltinOperator`` codes used when mapping networks.
BUILTIN_OPS = {3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED",
               40: "MEAN", 14: "LOGISTIC", 22: "RESHAPE"}


class _Buf:
    def __init__(self, data):
        self.data = data

    def u8(self, pos):
        return self.data[pos]

    def i32(self, pos):
        return struct.unpack_from("<i", self.data, pos)[0]

    def u32(self, pos):
        return struct.unpack_from("<I", self.data, pos)[0]

    def u64(self, pos):
        return struct.unpack_from("<Q", self.data, pos)[0]

    def field(self, table, index):
        """Absolute position of field ``index`` of the table at ``table``, or ``None``."""
        vtable = table - self.i32(table)
        vtable_size = struct.unpack_from("<H", self.data, vtable)[0]
        slot = 4 + 2 * index
        if slot >= vtable_size:
            return None
        offset = struct.unpack_from("<H", self.data, vtable + slot)[0]
        return table + offset if offset else None

    def deref(self, pos):
        return pos + self.u32(pos)

    def table(self, table, index):
        pos = self.field(table, index)
        return None if pos is None else self.deref(pos)

    def vector(self, table, index):
        """``(start, length)`` of a vector field; ``(0, 0)`` when absent."""
        pos = self.field(table, index)
        if pos is None:
            return 0, 0
        start = self.deref(pos)
        return start + 4, self.u32(start)

    def array(self, table, index, dtype):
        start, n = self.vector(table, index)
        return np.frombuffer(self.data, dtype=np.dtype(dtype).newbyteorder("<"), count=n,
                             offset=start) if n else np.zeros(0, dtype)

    def tables(self, table, index):
        start, n = self.vector(table, index)
        return [self.deref(start + 4 * i) for i in range(n)]

    def string(self, table, index):
        pos = self.field(table, index)
        if pos is None:
            return ""
        start = self.deref(pos)
        return bytes(self.data[start + 4:start + 4 + self.u32(start)]).decode("utf-8")

    def scalar(self, table, index, fmt, default=0):
        pos = self.field(table, index)
        return default if pos is None else struct.unpack_from("<" + fmt, self.data, pos)[0]


@dataclass
class TFLiteTensor:
    """One tensor of a TFLite graph.

    Attributes
    ----------
    index : int
    name : str
    shape : tuple of int
    dtype : numpy.dtype
    data : ndarray or None
        The stored (possibly quantised) values for a constant tensor, else ``None``.
    scale, zero_point : ndarray
        Quantisation parameters (empty when not quantised; one value per
        channel along ``quantized_dimension`` when per-channel).
    quantized_dimension : int
    """

    index: int
    name: str
    shape: tuple
    dtype: np.dtype
    data: np.ndarray | None = None
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    zero_point: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    quantized_dimension: int = 0

    def dequantize(self):
        """The values as float32: ``(q - zero_point) * scale``, per channel when so quantised.

        Examples
        --------
        >>> t = TFLiteTensor(0, "w", (2, 2), np.dtype("int8"),
        ...                  np.array([[1, -2], [3, 4]], np.int8),
        ...                  np.array([0.5, 0.25], np.float32), np.array([0, 1]), 0)
        >>> t.dequantize().tolist()
        [[0.5, -1.0], [0.5, 0.75]]
        """
        if self.data is None:
            raise ValueError(f"Tensor {self.name!r} holds no constant data.")
        values = self.data
        if self.scale.size == 0:
            return values.astype(np.float32)
        shape = [1] * values.ndim
        if self.scale.size > 1:
            shape[self.quantized_dimension] = -1
        scale = self.scale.astype(np.float64).reshape(shape)
        zero = self.zero_point.astype(np.float64).reshape(shape) if self.zero_point.size else 0.0
        return ((values.astype(np.float64) - zero) * scale).astype(np.float32)


@dataclass
class TFLiteOperator:
    """One operator: its builtin code (and name when known), input and output tensor indices."""

    code: int
    name: str
    inputs: tuple
    outputs: tuple


@dataclass
class TFLiteModel:
    """Tensors and operators of the first subgraph of a TFLite model."""

    tensors: list
    operators: list
    inputs: tuple
    outputs: tuple
    description: str = ""

    def producer(self, index):
        """The operator whose outputs include tensor ``index``, or ``None`` for a constant."""
        for op in self.operators:
            if index in op.outputs:
                return op
        return None

    def constant(self, index):
        """Tensor ``index`` as float32, following a ``DEQUANTIZE`` back to its stored data."""
        tensor = self.tensors[index]
        if tensor.data is None:
            op = self.producer(index)
            if op is None or op.name != "DEQUANTIZE":
                raise ValueError(f"Tensor {tensor.name!r} is not a constant of the model.")
            tensor = self.tensors[op.inputs[0]]
        return tensor.dequantize()


def read_tflite(source):
    """Read a ``.tflite`` file (path or bytes) into a :class:`TFLiteModel`.

    Examples
    --------
    ::

        model = read_tflite("yamnet.tflite")
        [t.name for t in model.tensors][:2]
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        with open(source, "rb") as fh:
            data = fh.read()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ValueError(
            "Not a TensorFlow Lite model: the file identifier 'TFL3' is missing. Pass the "
            "released .tflite file."
        )
    buf = _Buf(data)
    model = buf.deref(0)
    buffers = []
    for table in buf.tables(model, 4):
        raw = buf.array(table, 0, np.uint8)
        offset, size = buf.scalar(table, 1, "Q"), buf.scalar(table, 2, "Q")
        if raw.size == 0 and offset > 1:  # data stored after the flatbuffer (large models)
            raw = np.frombuffer(data, np.uint8, count=size, offset=offset)
        buffers.append(raw)
    codes = []
    for table in buf.tables(model, 1):
        deprecated = buf.scalar(table, 0, "b")
        codes.append(max(int(deprecated), int(buf.scalar(table, 3, "i"))))
    subgraphs = buf.tables(model, 2)
    if not subgraphs:
        raise ValueError("The TFLite model has no subgraph.")
    graph = subgraphs[0]
    tensors = []
    for i, table in enumerate(buf.tables(graph, 0)):
        shape = tuple(int(s) for s in buf.array(table, 0, np.int32))
        type_code = buf.scalar(table, 1, "b")
        dtype = np.dtype(_DTYPES.get(type_code, np.uint8))
        raw = buffers[buf.scalar(table, 2, "I")]
        values = None
        if raw.size:
            values = np.frombuffer(raw.tobytes(), dtype=dtype.newbyteorder("<")).astype(dtype)
            values = values.reshape(shape)
        tensor = TFLiteTensor(i, buf.string(table, 3), shape, dtype, values)
        quant = buf.table(table, 4)
        if quant is not None:
            tensor.scale = buf.array(quant, 2, np.float32).copy()
            tensor.zero_point = buf.array(quant, 3, np.int64).copy()
            tensor.quantized_dimension = int(buf.scalar(quant, 6, "i"))
        tensors.append(tensor)
    operators = []
    for table in buf.tables(graph, 3):
        code = codes[buf.scalar(table, 0, "I")]
        operators.append(TFLiteOperator(
            code, BUILTIN_OPS.get(code, str(code)),
            tuple(int(i) for i in buf.array(table, 1, np.int32)),
            tuple(int(i) for i in buf.array(table, 2, np.int32))))
    return TFLiteModel(tensors, operators, tuple(int(i) for i in buf.array(graph, 1, np.int32)),
                       tuple(int(i) for i in buf.array(graph, 2, np.int32)),
                       buf.string(model, 3))
