"""
Tuning a pipeline with GridSearchCV
===================================

Every step of an sklearn-ser pipeline exposes its settings as parameters, so
:class:`~sklearn.model_selection.GridSearchCV` can tune the vocabulary size of
:class:`~sklearn_ser.features.BOVWEncoder` and the learning rate of
:class:`~sklearn_ser.estimators.VACNNBOVWClassifier` together, scored by the
unweighted accuracy (``scoring="ser_ua"``) on speaker-independent folds.

:class:`~sklearn_ser.model_selection.SpeakerKFold` takes the speakers at
construction, so ``GridSearchCV`` needs no ``groups``. The feature cache
computes each file's log-mel image and KAZE descriptors once for the whole
search.

The defaults are small CPU settings: 64x64 images, a narrower VACNN (16/32/64
filters), 6 epochs without early stopping, a 2x2 grid on 3 speaker folds (a few
minutes on a laptop). ``--full`` searches a 3x2 grid with 224x224 images, the
paper's network, up to 30 epochs with early stopping, and 5 folds. The corpus
is read from ``SKLEARN_SER_DATA``.
"""

import argparse
import shutil
import tempfile

import matplotlib.pyplot as plt
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNBOVWClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.model_selection import SpeakerKFold

parser = argparse.ArgumentParser(description="GridSearchCV over a VACNN+BOVW pipeline")
parser.add_argument("--full", action="store_true", help="all files, 224x224, 30 epochs, 5 folds")
parser.add_argument("--cache", default=None, help="feature cache folder (default: temporary)")
args, _ = parser.parse_known_args()

if args.full:
    size, widths, epochs, batch_size, train_split, n_splits = 224, (32, 96, 288), 30, 8, "auto", 5
    grid = {"bovwencoder__n_words": [64, 128, 256], "vacnnbovwclassifier__lr": [1e-3, 1e-4]}
else:
    size, widths, epochs, batch_size, train_split, n_splits = 64, (16, 32, 64), 6, 16, None, 3
    grid = {"bovwencoder__n_words": [16, 32], "vacnnbovwclassifier__lr": [1e-3, 3e-3]}
cache = args.cache or tempfile.mkdtemp(prefix="sklearn_ser_")

# %%
# Data
# ----
emodb = load_emodb()
files, y, speakers = emodb.filenames, emodb.target, emodb.speaker
print(f"{len(files)} utterances, {len(set(speakers))} speakers, {len(set(y))} emotions")

# %%
# The search
# ----------
# Parameter names follow scikit-learn's ``step__parameter`` convention; any
# network argument works the same way (``vacnnbovwclassifier__module__attention``,
# ``vacnnbovwclassifier__optimizer__weight_decay``...).
pipe = make_pipeline(
    LogMelImage(size=(size, size), memory=cache),
    BOVWEncoder(output="dict", memory=cache, random_state=0),
    VACNNBOVWClassifier(module__widths=widths, max_epochs=epochs, batch_size=batch_size,
                        train_split=train_split, random_state=0),
)
search = GridSearchCV(pipe, grid, scoring="ser_ua",
                      cv=SpeakerKFold(n_splits, shuffle=True, random_state=0, speakers=speakers))
search.fit(files, y)

results = search.cv_results_
for params, mean, std in zip(results["params"], results["mean_test_score"],
                             results["std_test_score"]):
    print(f"{params}: UA {mean:.3f} +/- {std:.3f}")
print("best:", search.best_params_, f"UA {search.best_score_:.3f}")

# %%
# Mean UA of each candidate
# -------------------------
# With so few epochs the differences are small next to the spread over the
# folds (the error bars, one standard deviation): a sweep needs as many folds
# and epochs as the final model to be trusted.
labels = [f"{p['bovwencoder__n_words']} words\nlr {p['vacnnbovwclassifier__lr']:g}"
          for p in results["params"]]
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.bar(labels, results["mean_test_score"], yerr=results["std_test_score"], capsize=4)
ax.axhline(1 / len(set(y)), color="gray", linestyle="--", label="chance")
ax.set_ylabel("UA (speaker folds)")
ax.legend()
ax.set_title("GridSearchCV over vocabulary size and learning rate")
plt.show()

if args.cache is None:
    shutil.rmtree(cache, ignore_errors=True)
