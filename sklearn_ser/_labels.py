"""Canonical emotion labels and the label maps between corpora.

This module is the single source of truth for emotion names. Every loader,
estimator and report refers to these constants instead of re-typing strings.
"""

#: The canonical emotion labels shared by all corpora.
CANONICAL_EMOTIONS = (
    "anger",
    "boredom",
    "calm",
    "disgust",
    "fear",
    "happiness",
    "neutral",
    "sadness",
    "surprise",
)

#: The seven classes used for cross-corpus pretraining (Seo & Kim 2020).
PRETRAINING_EMOTIONS = (
    "anger",
    "disgust",
    "fear",
    "happiness",
    "neutral",
    "sadness",
    "surprise",
)

#: Label harmonisations, by name, applied after a corpus's labels have been
#: mapped to the canonical set. Labels mapped to ``None`` are dropped.
#: ``"pretraining"``: RAVDESS ``calm`` -> ``neutral``; TESS's pleasant surprise
#: is already ``surprise`` in the canonical set; classes outside the seven
#: pretraining classes (``boredom``) are dropped.
HARMONIZATIONS = {
    "pretraining": {
        "anger": "anger",
        "boredom": None,
        "calm": "neutral",
        "disgust": "disgust",
        "fear": "fear",
        "happiness": "happiness",
        "neutral": "neutral",
        "sadness": "sadness",
        "surprise": "surprise",
    },
}
