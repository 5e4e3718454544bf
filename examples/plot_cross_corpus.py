"""
Cross-corpus transfer: pretrain on RAVDESS, fine-tune on EmoDB
==============================================================

Seo & Kim 2020's transfer recipe, step by step:

1. pretrain a VACNN on RAVDESS with the seven harmonised classes
   (:func:`~sklearn_ser.pretraining.pretrain_vacnn`, the same as
   ``sklearn-ser pretrain``);
2. apply it to EmoDB as it is (no training on EmoDB) with
   :func:`~sklearn_ser.model_selection.cross_corpus_score`: the domain gap;
3. fine-tune it, fused with a bag of visual words, on EmoDB
   (``VACNNBOVWClassifier(pretrained=FILE)``: stem and VA block 1 frozen) and
   compare with the same network trained from scratch, on the same folds.

The defaults are small CPU settings: 8 of RAVDESS's 24 actors, 64x64 images,
a narrower VACNN (16/32/64 filters), 10 pretraining and 6 fine-tuning epochs
without early stopping, 3 folds (a few minutes on a laptop). They show the
mechanics, not the paper's gain (86.92 % fine-tuned vs 77 % from scratch on
EmoDB, with TESS + RAVDESS pretraining, Seo & Kim 2020 Table 3). ``--full``
pretrains the paper's network on all of RAVDESS with 224x224 images and up to
30 epochs with early stopping, and evaluates with 5 folds. The corpora are
read from ``SKLEARN_SER_DATA``.
"""

import argparse
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_corpus
from sklearn_ser.estimators import VACNNBOVWClassifier, VACNNClassifier
from sklearn_ser.features import BOVWEncoder, LogMelImage
from sklearn_ser.model_selection import cross_corpus_score, make_cv
from sklearn_ser.pretraining import pretrain_vacnn, subset_bunch

parser = argparse.ArgumentParser(description="Pretrain on RAVDESS, fine-tune on EmoDB")
parser.add_argument("--full", action="store_true",
                    help="all RAVDESS actors, 224x224 images, 30 epochs, 5 folds")
parser.add_argument("--cache", default=None, help="feature cache folder (default: temporary)")
args, _ = parser.parse_known_args()

if args.full:
    actors, size, widths, n_words = None, 224, (32, 96, 288), 128
    pretrain_epochs, epochs, n_splits, batch_size, train_split = 30, 30, 5, 8, "auto"
else:
    actors, size, widths, n_words = [f"{a:02d}" for a in range(1, 9)], 64, (16, 32, 64), 32
    pretrain_epochs, epochs, n_splits, batch_size, train_split = 10, 6, 3, 16, None
net_params = dict(module__widths=widths, batch_size=batch_size, train_split=train_split,
                  random_state=0)
workdir = Path(tempfile.mkdtemp(prefix="sklearn_ser_"))
cache = args.cache or str(workdir / "cache")

# %%
# 1. Pretraining on RAVDESS
# -------------------------
# ``harmonize="pretraining"`` maps RAVDESS's ``calm`` to ``neutral``: seven
# classes. The weights go to a file (a plain state dict) with a JSON record of
# the run next to it.
pretrained_file = workdir / "vacnn_ravdess.pt"
vacnn = pretrain_vacnn(
    "ravdess", pretrained_file, speakers=actors, harmonize="pretraining",
    image_params={"size": (size, size)}, memory=cache,
    estimator=VACNNClassifier(max_epochs=pretrain_epochs, **net_params))
print(f"pretrained on {vacnn.classes_.tolist()}: {len(vacnn.history)} epochs, "
      f"final training loss {vacnn.history[-1, 'train_loss']:.3f}")

# %%
# 2. The pretrained network on EmoDB, without fine-tuning
# -------------------------------------------------------
# ``FrozenEstimator`` keeps the network as it is: ``cross_corpus_score`` then
# only scores it on EmoDB, harmonised the same way (``boredom`` is dropped).
# Other speakers, language and recording conditions: expect a large drop.
ravdess = load_corpus("ravdess", harmonize="pretraining")
if actors is not None:  # the actors the network was pretrained on
    ravdess = subset_bunch(ravdess, np.isin(ravdess.speaker, actors))
emodb7 = load_corpus("emodb", harmonize="pretraining")
transfer = cross_corpus_score(
    make_pipeline(LogMelImage(size=(size, size), memory=cache), FrozenEstimator(vacnn)),
    train=ravdess, test=emodb7)
print(f"RAVDESS -> EmoDB without fine-tuning: UA {transfer.unweighted_accuracy:.3f} "
      f"(chance {1 / 6:.3f} over EmoDB's 6 harmonised emotions)")
print(transfer.report)

# %%
# 3. Fine-tuning on EmoDB vs training from scratch
# ------------------------------------------------
# EmoDB keeps its own seven emotions here (``boredom`` included): the fused
# network gets a new classification head; only the encoder comes from
# pretraining. Both variants use the same folds and seed.
emodb = load_corpus("emodb")
cv = make_cv("stratified", n_splits=n_splits, random_state=0)


def vacnn_bovw(pretrained):
    return make_pipeline(
        LogMelImage(size=(size, size), memory=cache),
        BOVWEncoder(n_words=n_words, output="dict", memory=cache, random_state=0),
        VACNNBOVWClassifier(pretrained=pretrained, max_epochs=epochs, **net_params))


scores = {}
for name, pretrained in (("from scratch", None), ("fine-tuned", str(pretrained_file))):
    scores[name] = cross_val_score(vacnn_bovw(pretrained), emodb.filenames, emodb.target,
                                   cv=cv, scoring="ser_ua")
    print(f"VACNN+BOVW {name}: UA per fold {np.round(scores[name], 3).tolist()}")

# %%
# The three numbers side by side
# ------------------------------
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
names = ["RAVDESS model\non EmoDB (6 classes)", "from scratch\n(EmoDB, 7)",
         "fine-tuned\n(EmoDB, 7)"]
means = [transfer.unweighted_accuracy, scores["from scratch"].mean(),
         scores["fine-tuned"].mean()]
errors = [0.0, scores["from scratch"].std(), scores["fine-tuned"].std()]
ax.bar(names, means, yerr=errors, capsize=4, color=["tab:gray", "tab:blue", "tab:orange"])
ax.set_ylabel("UA")
ax.set_title(f"Cross-corpus transfer ({n_splits}-fold on EmoDB)")
plt.show()

shutil.rmtree(workdir, ignore_errors=True)
