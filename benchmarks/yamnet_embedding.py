"""Pretrained YAMNet embeddings + logistic regression against the log-mel logistic baseline.

For every corpus asked for, two protocols:

``stratified``
    stratified 5-fold (shuffled, ``random_state=0``);
``speaker``
    speaker-grouped 5-fold (:class:`~sklearn_ser.model_selection.SpeakerKFold`);
    with fewer than 5 speakers (TESS has 2) leave-one-speaker-out.

and these models:

``logmel-logreg``
    the CLI's baseline: 64x64 ``LogMelImage`` -> flatten -> ``StandardScaler``
    -> ``LogisticRegression(C=0.01)``;
``yamnet-l<layer>-<pooling>``
    ``YAMNetEmbedding(layer=..., pooling=...)`` (released TFLite YAMNet; the
    global average of block ``layer`` per 0.96 s patch, 14 being the
    release's 1024-d embedding; pooled per utterance) -> ``StandardScaler`` ->
    ``LogisticRegressionCV`` (C chosen by an inner stratified 3-fold on the
    training part only, from 1e-4 to 1).

The features are stateless per file, so they are computed once per corpus
(and cached with ``--cache``); only the scaler and the classifier are fitted
per fold. WA and UA are averaged over the folds (mean +- standard deviation).

Example (the run reported in docs/yamnet_embedding.md)::

    OMP_NUM_THREADS=1 SKLEARN_SER_DATA=../shared/corpora python benchmarks/yamnet_embedding.py \\
        --corpora emodb,ravdess,tess --weights-home ../shared/weights/yamnet \\
        --cache /tmp/sercache24 --out docs/results/yamnet_embedding.json
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ser.datasets import load_corpus
from sklearn_ser.features import YAMNetEmbedding
from sklearn_ser.metrics import unweighted_accuracy, weighted_accuracy
from sklearn_ser.model_selection import SpeakerKFold
from sklearn_ser.recipes import get_recipe


def _classifier(name):
    if name == "logmel-logreg":  # the toolkit's recipe, after its front end
        return get_recipe("logmel-logreg")[1:]
    inner = StratifiedKFold(3, shuffle=True, random_state=0)
    return make_pipeline(StandardScaler(),
                         LogisticRegressionCV(Cs=np.logspace(-4, 0, 5), cv=inner, max_iter=3000))


def _features(name, filenames, args):
    if name == "logmel-logreg":
        front = get_recipe("logmel-logreg", memory=args.cache, n_jobs=args.n_jobs)[0]
    else:
        _, layer, pooling = name.split("-", 2)
        front = YAMNetEmbedding(weights=args.weights, weights_home=args.weights_home,
                                layer=int(layer.lstrip("l")), pooling=pooling, memory=args.cache,
                                n_jobs=args.n_jobs, device="cpu")
    start = time.perf_counter()
    X = front.fit_transform(filenames)
    return X, time.perf_counter() - start


def _splits(protocol, y, speakers):
    if protocol == "stratified":
        folds = StratifiedKFold(5, shuffle=True, random_state=0).split(y, y)
        return list(folds), "stratified 5-fold"
    if len(np.unique(speakers)) >= 5:
        return list(SpeakerKFold(5).split(y, y, groups=speakers)), "speaker 5-fold"
    return list(LeaveOneGroupOut().split(y, y, groups=speakers)), "leave one speaker out"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", default="emodb,ravdess,tess")
    parser.add_argument("--models", default="logmel-logreg,yamnet-l14-mean,yamnet-l14-mean+std,"
                                              "yamnet-l10-mean+std")
    parser.add_argument("--protocols", default="stratified,speaker")
    parser.add_argument("--weights", default="yamnet-tflite")
    parser.add_argument("--weights-home", default=None)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--cache", default=None)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    record = {
        "command": "OMP_NUM_THREADS=%s python %s" % (
            os.environ.get("OMP_NUM_THREADS", ""), " ".join(shlex.quote(a) for a in sys.argv)),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads "
                   f"{torch.get_num_threads()}, Python {platform.python_version()}, "
                   f"torch {torch.__version__}, scikit-learn {sklearn.__version__}",
        "date": datetime.date.today().isoformat(),
        "results": [],
    }
    for corpus in args.corpora.split(","):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an incomplete copy is reported in its DESCR
            bunch = load_corpus(corpus, args.data_home)
        y, speakers = np.asarray(bunch.target), np.asarray(bunch.speaker)
        for model in args.models.split(","):
            X, feature_time = _features(model, bunch.filenames, args)
            for protocol in args.protocols.split(","):
                splits, described = _splits(protocol, y, speakers)
                wa, ua, fit_times = [], [], []
                for train, test in splits:
                    clf = clone(_classifier(model))
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", category=UserWarning)
                        warnings.simplefilter("ignore", category=FutureWarning)
                        clf.fit(X[train], y[train])
                    fit_times.append(time.perf_counter() - start)
                    pred = clf.predict(X[test])
                    wa.append(100 * weighted_accuracy(y[test], pred))
                    ua.append(100 * unweighted_accuracy(y[test], pred))
                row = {
                    "corpus": corpus, "n_utterances": int(len(y)),
                    "n_classes": int(len(np.unique(y))), "protocol": described, "model": model,
                    "n_features": int(np.prod(X.shape[1:])),
                    "WA": round(float(np.mean(wa)), 2), "WA_std": round(float(np.std(wa)), 2),
                    "UA": round(float(np.mean(ua)), 2), "UA_std": round(float(np.std(ua)), 2),
                    "WA_folds": [round(v, 2) for v in wa], "UA_folds": [round(v, 2) for v in ua],
                    "feature_seconds": round(feature_time, 1),
                    "fit_seconds_per_fold": round(float(np.mean(fit_times)), 2),
                }
                record["results"].append(row)
                print(f"{corpus:8s} {described:22s} {model:16s} WA {row['WA']:6.2f} +- "
                      f"{row['WA_std']:5.2f}  UA {row['UA']:6.2f} +- {row['UA_std']:5.2f}  "
                      f"features {feature_time:6.1f} s  fit {row['fit_seconds_per_fold']:6.2f} s",
                      flush=True)
                os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
                with open(args.out, "w") as fh:
                    json.dump(record, fh, indent=1)
    return record


if __name__ == "__main__":
    main()
