"""Turn a pretrained VACNN parameter file into a network shipped with the package.

Reads the float32 state dict written by :func:`sklearn_ser.pretraining.pretrain_vacnn`
(through ``benchmarks/reproduce_vacnn.py``) and its ``.json`` record, and writes

- ``sklearn_ser/models/pretrained/<name>.pt``: the state dict in float16 (half
  the size), loadable with ``torch.load(..., weights_only=True)``;
- ``sklearn_ser/models/pretrained/<name>.json``: the model card.

It checks what the float16 rounding costs: both versions predict every
pretraining image and the card records the share of identical predictions and
both accuracies. It prints the file's SHA-256, to be pinned in
``sklearn_ser/models/vacnn_pretrained.py``.

Example::

    PT=results/tessravdess/pretrained_tess-ravdess_va_128_lr0.0001-step60_specaugment_e60-step40.pt
    SKLEARN_SER_DATA=../shared/corpora python benchmarks/export_pretrained_vacnn.py "$PT" \\
        --name vacnn-tess-ravdess --cache /tmp/sercache

"""

import argparse
import ast
import hashlib
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sklearn_ser.datasets import load_corpus
from sklearn_ser.features import LogMelImage
from sklearn_ser.models import VACNN

PACKAGE_FOLDER = Path(__file__).resolve().parents[1] / "sklearn_ser" / "models" / "pretrained"
#: Seo & Kim (2020), Table 2: accuracy of the VACNN pretrained on TESS + RAVDESS.
PAPER_PRETRAINING_ACCURACY = 89.03
LICENCE = (
    "Derived from TESS (CC BY-NC-ND 4.0; Dupuis & Pichora-Fuller, University of Toronto, 2010, "
    "https://doi.org/10.5683/SP2/E8H2MF) and RAVDESS speech (CC BY-NC-SA 4.0; Livingstone & "
    "Russo, PLoS ONE 2018, https://doi.org/10.5281/zenodo.1188976). Non-commercial use only; "
    "attribute both corpora. The code of sklearn-ser is BSD-3-Clause; these weights are not."
)


def _predict(net, images, batch_size=64):
    net.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = torch.as_tensor(images[start:start + batch_size])
            out.append(net(batch).argmax(1).numpy())
    return np.concatenate(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("source", help="float32 parameter file written by pretrain_vacnn")
    p.add_argument("--name", required=True, help="shipped name, e.g. vacnn-tess-ravdess")
    p.add_argument("--data-home", default=None)
    p.add_argument("--cache", default=None, help="feature cache folder (outside the repo)")
    p.add_argument("--out-folder", default=str(PACKAGE_FOLDER))
    args = p.parse_args(argv)

    source = Path(args.source)
    record = json.loads(Path(str(source) + ".json").read_text())
    # the record holds repr() of each module parameter
    attention = ast.literal_eval(record["module"]["attention"])
    state = torch.load(source, map_location="cpu", weights_only=True)
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}

    # What the float16 rounding changes, on every pretraining image.
    image_params = record["image_params"]
    size = tuple(image_params["size"])
    bunch = load_corpus(record["corpora"], data_home=args.data_home,
                        harmonize=record["harmonize"])
    frontend = LogMelImage(size=size, memory=args.cache, n_jobs=1)
    images = frontend.fit_transform(bunch.filenames)
    classes = record["classes"]
    y = np.searchsorted(classes, bunch.target)
    nets = {}
    for kind, weights in (("float32", state), ("float16", half)):
        net = VACNN(n_classes=len(classes), attention=attention)
        net.load_state_dict({k: v.float() if v.is_floating_point() else v
                             for k, v in weights.items()})
        nets[kind] = _predict(net, images)
    agreement = float(np.mean(nets["float32"] == nets["float16"]))

    out_folder = Path(args.out_folder)
    out_folder.mkdir(parents=True, exist_ok=True)
    weights_path = out_folder / f"{args.name}.pt"
    torch.save(half, weights_path)
    digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()
    history = record["history"]
    best = max(range(len(history)), key=lambda i: history[i]["valid_acc"])
    card = {
        "name": args.name,
        "architecture": "VACNN (Seo & Kim 2020): stem, three VA blocks, group norm, "
                        "global average pool, FC 256, FC n_classes",
        "attention": attention,
        "n_parameters": int(sum(v.numel() for v in state.values() if v.is_floating_point())),
        "stored_dtype": "float16",
        "sha256": digest,
        "corpora": record["corpora"].split("+"),
        "harmonize": record["harmonize"],
        "classes": classes,
        "counts": record["counts"],
        "n_items": record["n_items"],
        "image_size": list(size),
        "image_params": image_params,
        "module": record["module"],
        "recipe": record["training"],
        "epochs_run": len(history),
        "best_epoch": int(history[best]["epoch"]),
        "pretraining_accuracy": {
            "validation": float(history[best]["valid_acc"]),
            "validation_split": "stratified 20 % of the pretraining items, held out from "
                                "training (early stopping restored the best epoch's weights)",
            "paper": PAPER_PRETRAINING_ACCURACY,
            "paper_source": "Seo & Kim 2020, Table 2",
        },
        "float16_check": {
            "images": int(len(images)),
            "same_prediction": agreement,
            "accuracy_float32_all_items": float(np.mean(nets["float32"] == y)),
            "accuracy_float16_all_items": float(np.mean(nets["float16"] == y)),
        },
        "train_seconds": record["train_seconds"],
        "pretraining_command": record["command"],
        "export_command": "python benchmarks/export_pretrained_vacnn.py "
                          + " ".join(map(shlex.quote, argv)),
        "machine": {"platform": platform.platform(), "torch": torch.__version__,
                    "device": record["device"]},
        "date": time.strftime("%Y-%m-%d"),
        "licence": LICENCE,
    }
    (out_folder / f"{args.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"{weights_path}: {weights_path.stat().st_size} bytes, sha256 {digest}")
    print(f"validation accuracy {card['pretraining_accuracy']['validation']:.4f} "
          f"(paper {PAPER_PRETRAINING_ACCURACY} %), float16 agreement {agreement:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
