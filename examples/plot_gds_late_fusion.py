"""
Gaussian data selection for VGGish + YAMNet late fusion
=======================================================

The method of Kim & Kwak 2024 on the Berlin EmoDB corpus: each utterance becomes a
log-mel spectrogram cut into overlapping 96 x 64 segments, the input size of
VGGish and YAMNet (:class:`~sklearn_ser.features.SegmentedLogMel`);
Gaussian data selection (:class:`~sklearn_ser.features.GaussianDataSelector`)
drops from the training data the segments whose level distribution does not
resemble the rest of their utterance (silence, a clipped tail...); and the
late fusion of VGGish and YAMNet (:class:`~sklearn_ser.estimators.LateFusionClassifier`)
is trained on the remaining segments and scores whole utterances, by the mean
of their segments' class probabilities. scikit-learn's samples stay
utterances throughout, so labels, folds and scores are per utterance.

The example first shows how many segments GDS drops on EmoDB and where, then
cross-validates the pipeline with and without GDS, printing the unweighted
accuracy (UA), the training segments and the fit time of each.

.. note::

   The released YAMNet ships as a TFLite model that the toolkit converts
   without TensorFlow (``yamnet.tflite``, registry name ``"yamnet-tflite"``;
   see the "Pretrained YAMNet" page). When it is found (``--weights-home`` or
   ``$SKLEARN_SER_WEIGHTS``), this example uses the honest configuration
   that needs no VGGish weights: a **YAMNet-only head** on the pretrained,
   frozen YAMNet (its block 10), fed by YAMNet's own log-mel front end
   (:meth:`~sklearn_ser.features.SegmentedLogMel.yamnet`). Without it, and
   unless ``--vggish-weights`` and ``--yamnet-weights`` name released files,
   the VGGish + YAMNet fusion runs with **randomly initialised** backbones
   and stays near chance: what it then shows is the mechanics of the
   selection (where it happens in the pipeline, how many segments and how
   much training time it saves), not accuracy.

The defaults are small CPU settings (a stratified subset of 120 of EmoDB's
535 files, 3 stratified folds, frozen backbones, a fusion head with 16
channels, 2 epochs without early stopping: a couple of minutes on a laptop).
``--full`` runs the paper's setting: every file, 5 folds, fusion head with
128 channels, up to 20 epochs with early stopping on held-out utterances, and
the whole network fine-tuned (hours on a CPU; use a GPU). ``--threshold``
sets the GDS threshold ``T``. The corpus is read from ``SKLEARN_SER_DATA``.
"""

import argparse
import shutil
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import LateFusionClassifier
from sklearn_ser.features import GaussianDataSelector, SegmentedLogMel
from sklearn_ser.features.gds import DEFAULT_THRESHOLD
from sklearn_ser.model_selection import make_cv
from sklearn_ser.models.weights import get_weights_home

parser = argparse.ArgumentParser(description="GDS + VGGish/YAMNet late fusion on EmoDB")
parser.add_argument("--full", action="store_true",
                    help="the paper's setting: all files, 5 folds, 20 epochs, fine-tuning")
parser.add_argument("--n-files", type=int, default=120,
                    help="stratified subset of files for the small setting")
parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                    help="GDS threshold T")
parser.add_argument("--vggish-weights", default=None,
                    help="released VGGish weights (vggish_model.ckpt or vggish-10086976.pth)")
parser.add_argument("--yamnet-weights", default=None,
                    help="YAMNet weights: 'yamnet-tflite' (default when the file is found), "
                         "a .tflite / yamnet.h5 file or a state dict")
parser.add_argument("--weights-home", default=None,
                    help="folder holding yamnet.tflite (default: $SKLEARN_SER_WEIGHTS)")
parser.add_argument("--cache", default=None, help="feature cache folder (default: temporary)")
args, _ = parser.parse_known_args()
if (args.yamnet_weights is None
        and (get_weights_home(args.weights_home) / "yamnet.tflite").is_file()):
    args.yamnet_weights = "yamnet-tflite"
# With a pretrained YAMNet and no VGGish weights: the YAMNet-only head on YAMNet's front end.
yamnet_only = args.yamnet_weights is not None and args.vggish_weights is None

if args.full:
    n_splits, epochs, channels, batch_size, train_split, freeze = 5, 20, 128, 128, "auto", False
else:
    n_splits, epochs, channels, batch_size, train_split, freeze = 3, 2, 16, 32, None, True
cache = args.cache or tempfile.mkdtemp(prefix="sklearn_ser_")

# %%
# Segments of EmoDB
# -----------------
# :class:`~sklearn_ser.features.SegmentedLogMel` returns one entry per
# utterance holding its ``(n_segments, 1, 96, 64)`` segments; utterances
# shorter than one segment (about 1 s) are padded to one. It learns nothing,
# and the feature cache makes each file's segments computed once for this
# section and the cross-validation below.
emodb = load_emodb()
files, y = np.asarray(emodb.filenames), np.asarray(emodb.target)
front_end = (SegmentedLogMel.yamnet(segment_hop=24, memory=cache) if yamnet_only
             else SegmentedLogMel(memory=cache))
X = front_end.fit_transform(files)
n_segments = np.array([len(u) for u in X])
print(f"EmoDB: {len(X)} utterances, {n_segments.sum()} segments of shape {X[0].shape[1:]}; "
      f"{np.sum(n_segments == 1)} utterances have 1 segment, {np.sum(n_segments == 2)} have 2, "
      f"{np.sum(n_segments >= 3)} have 3 or more")

# %%
# What GDS drops
# --------------
# Every segment gets a score in [0, 1] from the correlation of its Gaussian
# level distribution with those of its utterance's other segments; segments
# scoring at most ``threshold`` are dropped by ``fit_transform``, which the
# pipeline calls on the training data only. An utterance of one or two
# segments keeps them all (their scores are all 1), and the best segment of
# every utterance scores 1, so no utterance disappears. The fitted selector
# reports the counts; it is fitted on the whole corpus here, and inside the
# cross-validation below on each fold's training part.
gds = GaussianDataSelector(threshold=args.threshold).fit(X)
print(f"GDS (T = {gds.threshold}): {gds.n_segments_in_} segments in, {gds.n_segments_kept_} kept, "
      f"{gds.n_segments_dropped_} dropped ({100 * gds.dropped_fraction_:.1f} %)")

scores = gds.score_segments(X)
multi = np.concatenate([s for s in scores if len(s) >= 3])
emotions = np.unique(y)
kept_fraction = [gds.kept_per_utterance_[y == e].sum() / gds.segments_per_utterance_[y == e].sum()
                 for e in emotions]
for emotion, fraction in zip(emotions, kept_fraction):
    print(f"  {emotion:9s} {np.sum(gds.segments_per_utterance_[y == emotion]):4d} segments, "
          f"{100 * fraction:5.1f} % kept")

# %%
# The score distribution and the kept fraction per emotion
# --------------------------------------------------------
# Left, the scores of the segments of utterances with three or more segments
# (the others always score 1); right, the share of each emotion's segments
# that GDS keeps. Only utterances of three or more segments can lose any, so
# the emotions with longer utterances have the most to lose.
fig, (ax_scores, ax_kept) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax_scores.hist(multi, bins=20, range=(0, 1), color="tab:blue")
ax_scores.axvline(gds.threshold, color="tab:red", linestyle="--",
                  label=f"threshold T = {gds.threshold}")
ax_scores.set_xlabel("GDS score")
ax_scores.set_ylabel("segments")
ax_scores.set_title(f"{multi.size} segments of the {np.sum(n_segments >= 3)} "
                    "utterances with >= 3 segments")
ax_scores.legend(loc="upper left")
ax_kept.bar(emotions, kept_fraction, color="tab:green")
ax_kept.axhline(1 - gds.dropped_fraction_, color="gray", linestyle="--", label="all emotions")
ax_kept.set_ylim(0, 1)
ax_kept.set_ylabel("fraction of segments kept")
ax_kept.set_title("Segments kept by GDS, per emotion")
ax_kept.legend(loc="lower right")
plt.setp(ax_kept.get_xticklabels(), rotation=45, ha="right")

# %%
# With and without GDS, cross-validated
# -------------------------------------
# The same pipeline twice: with GDS, and with the selector replaced by
# ``"passthrough"``. ``cross_validate`` splits utterances, scores the UA of
# whole test utterances on all their segments (GDS's ``transform`` passes the
# test data through), and times each ``fit``. The small setting uses a
# stratified subset of the files.
if args.full or args.n_files >= len(files):
    subset = np.arange(len(files))
else:
    subset, _ = train_test_split(np.arange(len(files)), train_size=args.n_files, stratify=y,
                                 random_state=0)
    subset = np.sort(subset)
files_cv, y_cv = files[subset], y[subset]

if yamnet_only:
    backbones = "pretrained YAMNet (block 10), YAMNet-only head"
elif args.vggish_weights and args.yamnet_weights:
    backbones = "AudioSet weights"
else:
    backbones = "randomly initialised backbones (see the note above)"
head = ({"module__backbones": ("yamnet",), "module__yamnet_layer": 10} if yamnet_only
        else {"module__fusion_channels": channels})
print(f"\nCross-validation: {len(files_cv)} utterances, {n_splits} stratified folds, "
      f"{epochs} epochs, {'fine-tuned' if not freeze else 'frozen'} {backbones}")

pipe = make_pipeline(
    front_end,
    GaussianDataSelector(threshold=args.threshold),
    LateFusionClassifier(vggish_weights=args.vggish_weights, yamnet_weights=args.yamnet_weights,
                         weights_home=args.weights_home, freeze_backbones=freeze,
                         max_epochs=epochs, batch_size=batch_size, train_split=train_split,
                         random_state=0, **head),
)
cv = make_cv("stratified", n_splits=n_splits, random_state=0)
results = {}
for name, params in [("without GDS", {"gaussiandataselector": "passthrough"}),
                     ("with GDS", {})]:
    out = cross_validate(clone(pipe).set_params(**params), files_cv, y_cv, cv=cv,
                         scoring="ser_ua", return_estimator=True)
    out["segments"] = sum(est[-1].n_training_segments_ for est in out["estimator"])
    results[name] = out
    print(f"{name:11s}: UA per fold {np.round(out['test_score'], 3).tolist()} "
          f"(mean {out['test_score'].mean():.3f}, chance {1 / len(emotions):.3f}); "
          f"{out['segments']} training segments, fit {out['fit_time'].sum():.1f} s")

base, sel = results["without GDS"], results["with GDS"]
print(f"GDS: {100 * (sel['segments'] / base['segments'] - 1):+.1f} % training segments, "
      f"{100 * (sel['fit_time'].sum() / base['fit_time'].sum() - 1):+.1f} % fit time, "
      f"{sel['test_score'].mean() - base['test_score'].mean():+.3f} UA")
plt.show()

if args.cache is None:
    shutil.rmtree(cache, ignore_errors=True)
