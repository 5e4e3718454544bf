"""
Distilling a vertical-patch ViT on EmoDB
========================================

The method of Kim & Lee 2024 on the Berlin EmoDB corpus: each utterance becomes a
log-mel image (:class:`~sklearn_ser.features.LogMelImage`) cut into vertical
strips, one token per strip spanning every mel band.
:class:`~sklearn_ser.estimators.DistilledViTClassifier` trains, on the same
training data, in three stages:

1. a **teacher** ViT with a size-keeping convolutional stem and x, y
   image-coordinate channels, with cross-entropy;
2. a plain **student** ViT (no stem, no positional encoding) that learns to
   reproduce the frozen teacher's feature maps (L1 between the outputs of each
   pair of transformer blocks);
3. the same student with ``cross_entropy + alpha * L1``; it is the network
   ``predict`` uses.

The example scores the teacher (``network="teacher"``) and the distilled
student on a held-out stratified 20 % of the corpus, trains the same student
architecture with cross-entropy alone for as many epochs as stages 2 and 3
together (:class:`~sklearn_ser.estimators.ViTClassifier`, same seed, so the
same initial weights and validation split), and counts the FLOPs and
parameters of one forward pass
(:func:`~sklearn_ser.utils.flops_and_params`): the student is what would be
deployed, the teacher's stem is what it saves.

The defaults are small CPU settings (128x128 images, 64-wide tokens, 4 blocks
of 4 heads, a one-block 8-channel stem, learning rate 1e-3, 25 epochs per
stage: a few minutes on a laptop), far from the paper's numbers. ``--full``
uses the estimator's defaults, the paper's setting with our ViT-Tiny-like
sizes (192-wide tokens, 6 blocks of 3 heads, a 16/32/64 stem, learning rate
5e-4) and 50 epochs per stage; it wants a GPU (picked automatically). Both
keep each stage's best epoch on an internal 20 % validation split. The corpus
is read from ``SKLEARN_SER_DATA``; ``benchmarks/vit_distillation.py`` runs the
same comparison over 5 folds.
"""

import argparse
import shutil
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import DistilledViTClassifier, ViTClassifier
from sklearn_ser.features import LogMelImage
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.models.vit import FeatureMapDistiller, StudentViT
from sklearn_ser.utils import flops_and_params

parser = argparse.ArgumentParser(description="Teacher-to-student ViT distillation on EmoDB")
parser.add_argument("--full", action="store_true",
                    help="the paper's setting: ViT-Tiny-like sizes, 50 epochs per stage")
parser.add_argument("--cache", default=None, help="feature cache folder (default: temporary)")
args, _ = parser.parse_known_args()

size = 128
if args.full:
    settings = dict(teacher_epochs=50, matching_epochs=50, student_epochs=50)  # the defaults
else:
    settings = dict(patch_width=4, embed_dim=64, depth=4, n_heads=4, mlp_ratio=2.0,
                    stem_channels=(8,), lr=1e-3, teacher_epochs=25, matching_epochs=25,
                    student_epochs=25)
cache = args.cache or tempfile.mkdtemp(prefix="sklearn_ser_")

# %%
# Log-mel images and a held-out split
# -----------------------------------
# The images are stateless (nothing is learned from the data), so they are
# computed once for the whole corpus; 20 % of the utterances, stratified by
# emotion, are kept aside for the final scores.
emodb = load_emodb()
y = np.asarray(emodb.target)
start = time.perf_counter()
X = LogMelImage(size=(size, size), memory=cache).fit_transform(emodb.filenames)
print(f"EmoDB: {len(y)} utterances, {len(set(y))} emotions; images of shape {X.shape[1:]} "
      f"in {time.perf_counter() - start:.0f} s")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y,
                                                    random_state=0)
print(f"{len(y_train)} training and {len(y_test)} test utterances")

# %%
# The three stages
# ----------------
# One ``fit`` trains the teacher, matches the student's feature maps to the
# teacher's (``distill_pairs="blocks"``: every transformer block with the same
# block of the teacher) and fine-tunes the student. ``histories_`` and
# ``fit_times_`` keep each stage's epoch log and duration.
distilled = DistilledViTClassifier(**settings, random_state=0)
distilled.fit(X_train, y_train)
print("stages: " + ", ".join(
    f"{stage} {len(distilled.histories_[stage])} epochs in {seconds:.0f} s"
    for stage, seconds in distilled.fit_times_.items()))

# %%
# The plain student
# -----------------
# The baseline is the student network trained with cross-entropy only, for up
# to ``matching_epochs + student_epochs`` epochs, with the distilled run's seed
# ``seed_`` and the same optimiser settings. Like every stage, it stops early
# when the validation accuracy has not improved for ``patience`` epochs.
params = distilled.get_params()
architecture = {f"module__{name}": params[name]
                for name in ("patch_width", "embed_dim", "depth", "n_heads", "mlp_ratio",
                             "dropout")}
plain = ViTClassifier(
    StudentViT, max_epochs=params["matching_epochs"] + params["student_epochs"],
    lr=params["lr"], batch_size=params["batch_size"],
    optimizer__weight_decay=params["weight_decay"], lr_step_size=params["lr_step_size"],
    patience=params["patience"], random_state=distilled.seed_, **architecture)
start = time.perf_counter()
plain.fit(X_train, y_train)
print(f"plain student: {len(plain.history)} of {plain.max_epochs} epochs "
      f"in {time.perf_counter() - start:.0f} s")

# %%
# Held-out accuracy and cost
# --------------------------
# UA is the mean recall over the emotions, WA the overall accuracy. FLOPs are
# those of one forward pass of a single image (a multiply-add counts 2; only
# matrix products and convolutions are counted). The last column is the mean
# L1 distance between the student's block outputs and the teacher's on the
# test images: what stage 2 minimised.


def teacher_distance(student):
    """Mean L1 between ``student``'s paired maps and the teacher's on the test images."""
    distiller = FeatureMapDistiller(student, distilled.teacher_, distilled.pairs_).eval()
    device = next(student.parameters()).device
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(X_test), 32):
            batch = torch.as_tensor(X_test[start:start + 32], device=device)
            distances = distiller.pair_distances(student.forward_features(batch),
                                                 distilled.teacher_.forward_features(batch))
            total += float(distances.mean()) * len(batch)
    return total / len(X_test)


shape = (1, *distilled.image_shape_)
models = {
    "teacher": (distilled.predict(X_test, network="teacher"), distilled.teacher_),
    "plain student": (plain.predict(X_test), plain.module_),
    "distilled student": (distilled.predict(X_test), distilled.student_),
}
rows = {}
print(f"{'model':<18} {'UA':>6} {'WA':>6} {'GFLOPs':>8} {'params':>9} {'L1 to teacher':>14}")
for name, (pred, module) in models.items():
    counts = flops_and_params(module, shape)
    rows[name] = dict(ua=unweighted_accuracy(y_test, pred), wa=weighted_accuracy(y_test, pred),
                      gflops=counts["flops"] / 1e9, params=counts["params"])
    distance = "" if name == "teacher" else f"{teacher_distance(module):.3f}"
    print(f"{name:<18} {rows[name]['ua']:6.3f} {rows[name]['wa']:6.3f} "
          f"{rows[name]['gflops']:8.4f} {rows[name]['params']:9,d} {distance:>14}")
print(f"chance UA {1 / len(distilled.classes_):.3f}; the student needs "
      f"{rows['distilled student']['gflops'] / rows['teacher']['gflops']:.0%} of the teacher's "
      f"FLOPs and {rows['distilled student']['params'] / rows['teacher']['params']:.0%} "
      "of its parameters")

# %%
# Training curves and the accuracy-cost trade-off
# -----------------------------------------------
# Left: the training loss of each stage, one after the other (stage 2's loss
# is the L1 between feature maps alone, stage 3's is cross-entropy plus that
# L1), and the plain student's cross-entropy over the same epochs as stages 2
# and 3. Right: held-out UA and WA, with the FLOPs and parameters of each
# network.
fig, (ax_loss, ax_cost) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
offset = 0
for stage, history in distilled.histories_.items():
    loss = history[:, "train_loss"]
    ax_loss.plot(np.arange(offset + 1, offset + len(loss) + 1), loss, label=f"stage: {stage}")
    offset += len(loss)
    ax_loss.axvline(offset + 0.5, color="lightgray", linewidth=1)
start_epoch = len(distilled.histories_["teacher"])
plain_loss = plain.history[:, "train_loss"]
ax_loss.plot(np.arange(start_epoch + 1, start_epoch + len(plain_loss) + 1), plain_loss,
             color="black", linestyle="--", label="plain student")
ax_loss.set_xlabel("epoch (stages in training order)")
ax_loss.set_ylabel("training loss")
ax_loss.legend()
ax_loss.set_title("Training loss per stage")

names = list(rows)
positions = np.arange(len(names))
for shift, metric in ((-0.2, "ua"), (0.2, "wa")):
    bars = ax_cost.bar(positions + shift, [rows[name][metric] for name in names], width=0.4,
                       label=metric.upper())
    ax_cost.bar_label(bars, fmt="%.2f", fontsize=8)
ax_cost.axhline(1 / len(distilled.classes_), color="gray", linestyle=":", label="chance UA")
ax_cost.set_xticks(positions, [f"{name}\n{rows[name]['gflops']:.3f} GFLOPs\n"
                               f"{rows[name]['params'] / 1e6:.2f} M params" for name in names])
ax_cost.set_ylim(0, 1)
ax_cost.set_ylabel("held-out accuracy")
ax_cost.legend(loc="upper right")
ax_cost.set_title("Held-out accuracy and cost per image")
plt.show()

if args.cache is None:
    shutil.rmtree(cache, ignore_errors=True)
