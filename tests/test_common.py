"""The scikit-learn estimator contract, run on every transformer and estimator.

Audio front ends take file paths or waveforms, so a few generic checks do not
apply; each skip is listed with its reason (as imbalanced-learn does).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ser.features import LogMelImage

_WAVEFORM_REASONS = {
    "check_n_features_in": (
        "Rows are waveforms whose length may differ between fit and transform "
        "(utterances vary in duration); the output shape depends only on `size`."
    ),
    "check_n_features_in_after_fitting": (
        "Same: waveform length is not a feature count, so no n_features_in_ is kept."
    ),
    "check_estimators_empty_data_messages": (
        "An empty waveform is rejected with AudioLoadError('... contains no samples'), "
        "an audio-specific message instead of sklearn's '0 feature(s)' wording."
    ),
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, LogMelImage):
        return _WAVEFORM_REASONS
    return {}


ESTIMATORS = [
    LogMelImage(size=(8, 8), n_fft=64, hop_length=16, n_mels=8),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_contract(estimator, check):
    check(estimator)
