"""ONNX Runtime's quantize_static on the tensors int8cal calibrates on: the peer of `npm run bench`.

Reads the preprocessed images from a float32 .npy written by bench/peer.ts (streamed batch by
batch, never mapped whole, so the file does not count in this process's RSS), runs
quantize_static (QDQ, per-channel weights, Entropy or MinMax calibration) on the given number
of intra-op threads, writes the quantized model to --out, and prints one JSON line: status, the
configuration used, wall time of the quantize_static call, peak RSS, and the error when ORT fails.

Configurations (--config):
  symmetric  int8 activations and weights, both symmetric: the TensorRT-style Q/DQ int8cal builds.
  cpu        what quantize_static's docstring recommends for x86-64 CPUs: uint8 (asymmetric)
             activations, int8 weights, reduce_range=True unless the CPU has VNNI.
"""

import argparse
import json
import resource
import sys
import time
import traceback
import warnings

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)


class NpyReader(CalibrationDataReader):
    """Batches of a float32 [N, ...] .npy file, read sequentially."""

    def __init__(self, path, input_name, batch_size):
        self.path = path
        self.input_name = input_name
        self.batch_size = batch_size
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version != (1, 0):
                raise ValueError(f"{path}: expected .npy version 1.0, got {version}")
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            self.offset = f.tell()
        if dtype != np.dtype("<f4"):
            raise ValueError(f"{path}: expected float32, got {dtype}")
        self.shape = shape
        self.per_image = int(np.prod(shape[1:]))
        self.file = None
        self.rewind()

    def rewind(self):
        if self.file:
            self.file.close()
        self.file = open(self.path, "rb")
        self.file.seek(self.offset)
        self.left = self.shape[0]

    def get_next(self):
        if self.left == 0:
            return None
        n = min(self.batch_size, self.left)
        data = np.fromfile(self.file, dtype="<f4", count=n * self.per_image)
        self.left -= n
        return {self.input_name: data.reshape((n, *self.shape[1:]))}


def use_threads(threads):
    """ORT's calibrator builds its own SessionOptions(): give them our intra-op thread count."""
    original = onnxruntime.SessionOptions

    def session_options():
        options = original()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        return options

    onnxruntime.SessionOptions = session_options
    return original


def has_vnni():
    """x86 VNNI (AVX512-VNNI or AVX-VNNI), from /proc/cpuinfo; False where it can't be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def configuration(name):
    """quantize_static's type and symmetry arguments for a --config name, and how to describe them."""
    if name == "symmetric":
        return {"activation_type": QuantType.QInt8, "weight_type": QuantType.QInt8, "reduce_range": False,
                "extra_options": {"ActivationSymmetric": True, "WeightSymmetric": True}}
    reduce_range = not has_vnni()
    return {"activation_type": QuantType.QUInt8, "weight_type": QuantType.QInt8, "reduce_range": reduce_range,
            "extra_options": {}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--method", choices=["Entropy", "MinMax"], required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--config", choices=["symmetric", "cpu"], default="symmetric")
    ap.add_argument("--out", required=True, help="where quantize_static writes its model")
    args = ap.parse_args()

    original_options = use_threads(args.threads)
    reader = NpyReader(args.data, args.input, args.batch_size)
    config = configuration(args.config)
    report = {"method": args.method, "config": args.config, "activationType": config["activation_type"].name,
              "weightType": config["weight_type"].name, "reduceRange": config["reduce_range"],
              "images": int(reader.shape[0]), "ortVersion": onnxruntime.__version__}
    caught = []
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            quantize_static(
                args.model,
                args.out,
                reader,
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                calibrate_method=getattr(CalibrationMethod, args.method),
                **config,
            )
        caught = [str(w.message)[:200] for w in seen]
        report["status"] = "ok"
    except Exception as error:  # ORT's failure is a finding, reported rather than raised
        traceback.print_exc(file=sys.stderr)
        report["status"] = "failed"
        report["error"] = f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:300] if str(error).strip() else ''}"
    report["wallMs"] = (time.perf_counter() - start) * 1000
    report["maxRssKiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if caught:
        report["warnings"] = sorted(set(caught))[:5]

    if report["status"] == "ok":
        # Does ONNX Runtime itself accept what quantize_static wrote?
        try:
            model = onnx.load(args.out)
            report["quantizeNodes"] = sum(1 for n in model.graph.node if n.op_type == "QuantizeLinear")
            onnx.checker.check_model(model)
            onnxruntime.InferenceSession(args.out, sess_options=original_options(), providers=["CPUExecutionProvider"])
        except Exception as error:
            report["status"] = "invalid-model"
            report["error"] = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300]}"
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
