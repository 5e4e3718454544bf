"""
CNN + BiGRU with and without center loss on EmoDB
=================================================

The method of Dai et al. 2019 on the Berlin EmoDB corpus: each utterance becomes a
variable-length log-mel spectrogram
(:class:`~sklearn_ser.features.LogMelSpectrogram`: 128 bands, 40 ms Hamming
window, 10 ms hop, one ``(128, n_frames)`` array per utterance, never padded
to the corpus maximum), and a CNN + bidirectional GRU
(:class:`~sklearn_ser.estimators.CRNNClassifier`) is trained on it with the
joint loss ``L_s + lambda_ * L_c``: class-weighted cross-entropy plus a
center loss that pulls each utterance's FC1 embedding toward a learned center
of its emotion, the centers moving toward each mini-batch's class means at
rate ``alpha``.

Two models are trained on the same speaker-independent split, from the same
seed: one with ``lambda_=0`` (cross-entropy only, the paper's setting 1) and
one with center loss (``lambda_=0.3, alpha=0.5``, setting 2). For each, the
example prints the unweighted and weighted accuracy (UA, WA) on the two
held-out speakers and the spread of their FC1 embeddings around the class
means (:func:`~sklearn_ser.estimators.within_class_spread`), and draws the
embeddings projected on their first two principal components side by side
(:func:`~sklearn_ser.estimators.plot_embedding_pca`, figure 4 of Dai et al. 2019).

The defaults are small CPU settings (a narrower CNN with 16/32/32 channels,
learning rate 1e-3, 16 epochs; the weights of the epoch with the best UA on an
internal 20 % validation split are kept: a few minutes on a laptop). ``--full``
uses the paper's settings, the estimator's defaults (32/64/64 channels, Adam
with learning rate 3e-4, up to 50 epochs, early stopping with patience 10).
``--lambda`` and ``--alpha`` set the center-loss model. The corpus is read
from ``SKLEARN_SER_DATA``.
"""

import argparse
import shutil
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import CRNNClassifier, plot_embedding_pca, within_class_spread
from sklearn_ser.features import LogMelSpectrogram
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection import SpeakerKFold

parser = argparse.ArgumentParser(description="CNN + BiGRU with and without center loss on EmoDB")
parser.add_argument("--full", action="store_true",
                    help="the paper's setting: 32/64/64 channels, lr 3e-4, up to 50 epochs")
parser.add_argument("--lambda", dest="lambda_", type=float, default=0.3,
                    help="center-loss weight of the second model")
parser.add_argument("--alpha", type=float, default=0.5, help="center update rate")
parser.add_argument("--cache", default=None, help="feature cache folder (default: temporary)")
args, _ = parser.parse_known_args()

if args.full:
    settings = {}  # CRNNClassifier's defaults are the paper's recipe
else:
    settings = dict(module__channels=(16, 32, 32), lr=1e-3, max_epochs=16)
cache = args.cache or tempfile.mkdtemp(prefix="sklearn_ser_")

# %%
# Variable-length log-mel spectrograms
# ------------------------------------
# The spectrograms are stateless (nothing is learned from the data), so they
# are computed once for the whole corpus. Each utterance keeps its own number
# of frames; the classifier pads every mini-batch only to its own longest
# utterance, and the network ignores the padding.
emodb = load_emodb()
files, y, speakers = np.asarray(emodb.filenames), np.asarray(emodb.target), emodb.speaker
start = time.perf_counter()
X = LogMelSpectrogram(memory=cache).fit_transform(files)
frames = np.array([x.shape[1] for x in X])
labels, counts = np.unique(y, return_counts=True)
print(f"EmoDB: {len(X)} utterances, {len(set(speakers))} speakers, {len(set(y))} emotions; "
      f"{X[0].shape[0]} mel bands, {frames.min()}-{frames.max()} frames "
      f"(median {np.median(frames):.0f}); {time.perf_counter() - start:.0f} s")
print("utterances per emotion:", dict(zip(labels.tolist(), counts.tolist())))

# %%
# A speaker-independent split
# ---------------------------
# The first fold of a class-stratified speaker 5-fold holds out two of the ten
# speakers; the models never hear them during training.
cv = SpeakerKFold(n_splits=5, shuffle=True, random_state=0, speakers=speakers)
train, test = next(cv.split(X, y))
print(f"train: {len(train)} utterances; test: {len(test)} utterances of speakers "
      f"{', '.join(sorted(set(speakers[test])))}")

# %%
# Two models, one seed
# --------------------
# Both use class-weighted losses (``class_weight="balanced"``, as in the
# paper: EmoDB's emotions are unbalanced) and hold out a stratified 20 % of
# the training speakers' utterances to pick the best epoch by UA. Only
# ``lambda_`` differs: ``0`` switches the center loss off.
#
# Two spreads are printed. The raw one (mean squared distance to the class
# mean) is not comparable between the models: the center loss also shrinks
# the scale of the embeddings. The normalised one, the fraction of the total
# scatter that lies within classes, is scale-free: the lower it is, the more
# compact the classes are relative to the distances between them. On one
# split of two speakers the differences in UA and spread are noisy;
# ``benchmarks/crnn_center_loss.py`` cross-validates the comparison.
base = CRNNClassifier(alpha=args.alpha, class_weight="balanced", random_state=0, **settings)
models = {"lambda_=0": clone(base).set_params(lambda_=0.0),
          f"lambda_={args.lambda_:g}, alpha={args.alpha:g}":
              clone(base).set_params(lambda_=args.lambda_)}

embeddings, scores = {}, {}
for name, clf in models.items():
    start = time.perf_counter()
    clf.fit(X[train], y[train])
    seconds = time.perf_counter() - start
    y_pred = clf.predict(X[test])
    E = clf.embed(X[test])  # FC1 output: the features the center loss shapes
    ua, wa = unweighted_accuracy(y[test], y_pred), weighted_accuracy(y[test], y_pred)
    best = int(np.argmax(clf.history[:, "valid_ua"])) + 1
    print(f"{name}: test UA {ua:.3f}, WA {wa:.3f}; within-class spread "
          f"{within_class_spread(E, y[test]):.3f} of the total scatter "
          f"(raw {within_class_spread(E, y[test], normalize=False):.2f}); "
          f"{len(clf.history)} epochs (best {best}), {seconds:.0f} s")
    embeddings[name], scores[name] = E, ua
print(f"chance UA: {1 / len(set(y)):.3f}")

# %%
# The PCA of the held-out embeddings
# ----------------------------------
# Each panel fits its own PCA to the test speakers' FC1 embeddings, one
# colour per emotion.
fig = plot_embedding_pca({f"{name} (UA {ua:.2f})": embeddings[name]
                          for name, ua in scores.items()}, y[test],
                         title=f"FC1 embeddings of held-out EmoDB speakers "
                               f"{', '.join(sorted(set(speakers[test])))}")
plt.show()

if args.cache is None:
    shutil.rmtree(cache, ignore_errors=True)
