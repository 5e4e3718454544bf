"""
5-fold log-mel baseline on EmoDB
================================

A real experiment in a few lines: log-mel images (64x64) of every EmoDB
utterance, flattened and standardised, classified by logistic regression,
scored by unweighted accuracy (UA, mean per-class recall) in stratified 5-fold
cross-validation. The corpus is read from ``SKLEARN_SER_DATA``.

This is a sanity baseline for the toolkit's front end, not one of the
published methods. Pass ``--size 224`` for paper-size images.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_ser.datasets import load_emodb
from sklearn_ser.features import LogMelImage, flatten_images
from sklearn_ser.metrics import emotion_report
from sklearn_ser.model_selection import stratified_kfold

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--size", type=int, default=64, help="image side (default 64)")
parser.add_argument("--cache", default=None, help="feature cache folder")
args, _ = parser.parse_known_args()

bunch = load_emodb()
pipe = make_pipeline(
    LogMelImage(size=(args.size, args.size), n_jobs=2, memory=args.cache),
    FunctionTransformer(flatten_images),
    StandardScaler(),
    LogisticRegression(C=0.01, max_iter=2000),
)
cv = stratified_kfold(n_splits=5, random_state=0)
start = time.perf_counter()
scores = cross_val_score(pipe, bunch.filenames, bunch.target, cv=cv, scoring="ser_ua")
print(f"EmoDB, {len(bunch.filenames)} utterances, 5-fold UA: "
      f"{np.mean(scores):.3f} +/- {np.std(scores):.3f} (chance {1 / 7:.3f}); "
      f"folds {np.round(scores, 3).tolist()}; {time.perf_counter() - start:.1f} s")
y_pred = cross_val_predict(pipe, bunch.filenames, bunch.target, cv=cv)
print(emotion_report(bunch.target, y_pred))
