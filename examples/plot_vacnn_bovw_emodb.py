"""
5-fold VACNN + BOVW on EmoDB
============================

The method of Seo & Kim 2020 on the Berlin EmoDB corpus: each utterance becomes a
log-mel image (:class:`~sklearn_ser.features.LogMelImage`), a bag of visual
words is learned from the KAZE descriptors of the training images
(:class:`~sklearn_ser.features.BOVWEncoder`), and the visual-attention CNN
fused with the word histogram (:class:`~sklearn_ser.estimators.VACNNBOVWClassifier`)
is trained, all inside one pipeline scored by stratified 5-fold
cross-validation, the papers' protocol.

The defaults are small CPU settings (64x64 images, 32 visual words, a narrower
VACNN with 16/32/64 filters, 6 epochs without early stopping: a couple of
minutes on a laptop), far from the paper's numbers. ``--full`` runs the
paper's setting (224x224 images, 128 words, the paper's widths 32/96/288, up
to 30 epochs with early stopping on an internal validation split),
``--pretrained FILE`` fine-tunes from a VACNN pretrained with
``sklearn-ser pretrain`` (paper widths; see
:ref:`sphx_glr_auto_examples_plot_cross_corpus.py`), and ``--speaker`` uses
speaker-independent folds. The corpus is read from ``SKLEARN_SER_DATA``.
"""

import argparse
import shutil
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNBOVWClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.metrics import emotion_report, unweighted_accuracy
from sklearn_ser.model_selection import make_cv

parser = argparse.ArgumentParser(description="5-fold VACNN + BOVW on EmoDB")
parser.add_argument("--full", action="store_true",
                    help="the paper's setting: 224x224 images, 128 words, 30 epochs")
parser.add_argument("--pretrained", default=None, help="pretrained VACNN weights (.pt)")
parser.add_argument("--speaker", action="store_true", help="speaker-independent folds")
parser.add_argument("--cache", default=None, help="feature cache folder (default: temporary)")
args, _ = parser.parse_known_args()

if args.full:
    size, n_words, epochs, batch_size, train_split = 224, 128, 30, 8, "auto"
else:
    size, n_words, epochs, batch_size, train_split = 64, 32, 6, 16, None
# a pretrained encoder fixes the widths; otherwise the small setting uses a narrower network
widths = (32, 96, 288) if args.full or args.pretrained else (16, 32, 64)
cache = args.cache or tempfile.mkdtemp(prefix="sklearn_ser_")

# %%
# The corpus and the pipeline
# ---------------------------
# The loader returns file names, emotions and speakers. Nothing is computed
# before cross-validation: the vocabulary and the network are fitted on each
# fold's training part only. The feature cache makes the log-mel images and
# KAZE descriptors of each file computed once, not once per fold.
emodb = load_emodb()
print(f"EmoDB: {len(emodb.filenames)} utterances, {len(set(emodb.speaker))} speakers")

pipe = make_pipeline(
    LogMelImage(size=(size, size), memory=cache),
    BOVWEncoder(n_words=n_words, output="dict", memory=cache, random_state=0),
    VACNNBOVWClassifier(pretrained=args.pretrained, module__widths=widths, max_epochs=epochs,
                        batch_size=batch_size, train_split=train_split, random_state=0),
)
print(pipe)

# %%
# Out-of-fold predictions
# -----------------------
# ``make_cv("stratified")`` is the papers' shuffled, class-stratified 5-fold
# protocol; ``make_cv("speaker", speakers=...)`` keeps every speaker in one
# fold. The splitter is deterministic, so the per-fold scores can be read back
# from the pooled predictions.
protocol = "speaker" if args.speaker else "stratified"
cv = make_cv(protocol, n_splits=5, speakers=emodb.speaker, random_state=0)
start = time.perf_counter()
y_pred = cross_val_predict(pipe, emodb.filenames, emodb.target, cv=cv)
seconds = time.perf_counter() - start

folds = [unweighted_accuracy(emodb.target[test], y_pred[test])
         for _, test in cv.split(emodb.filenames, emodb.target)]
print(f"{protocol} 5-fold UA per fold: {np.round(folds, 3).tolist()} "
      f"(mean {np.mean(folds):.3f}, chance {1 / 7:.3f}); {seconds:.0f} s")
report = emotion_report(emodb.target, y_pred)
print(report)

# %%
# The confusion matrix
# --------------------
# Rows are the true emotions, normalised to sum to one: the diagonal holds the
# per-emotion recall whose mean is the UA.
fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
ConfusionMatrixDisplay(report.confusion_matrix / report.confusion_matrix.sum(1, keepdims=True),
                       display_labels=report.labels).plot(ax=ax, values_format=".2f",
                                                          colorbar=False)
ax.set_title(f"VACNN+BOVW on EmoDB ({protocol} 5-fold): "
             f"UA {100 * report.unweighted_accuracy:.1f} %")
plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
plt.show()

if args.cache is None:
    shutil.rmtree(cache, ignore_errors=True)
