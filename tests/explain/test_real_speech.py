"""The explanations on real EmoDB speech, through a LogMelImage + VACNN pipeline on files."""

import io

import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import make_pipeline

from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNClassifier
from sklearn_ser.explain import (
    frequency_profile,
    grad_cam,
    gradcam_to_audio,
    lime_explanation,
    occlusion_sensitivity,
    plot_explanations,
)
from sklearn_ser.features import LogMelImage

SIZE = 64


@pytest.fixture(scope="module")
def fitted(emodb_home):
    """16 real utterances (4 of each of 4 emotions) and a 64x64 log-mel VACNN pipeline."""
    bunch = load_emodb(data_home=emodb_home)
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(bunch.target == label), 4, replace=False)
        for label in ("anger", "sadness", "neutral", "happiness")]))
    files = np.asarray(bunch.filenames)[keep]
    y = np.asarray(bunch.target)[keep]
    pipe = make_pipeline(LogMelImage(size=(SIZE, SIZE)),
                         VACNNClassifier(max_epochs=1, train_split=None, random_state=0))
    return pipe.fit(files, y), files, y


def test_pipeline_on_files_equals_the_network_on_images(fitted):
    pipe, files, _ = fitted
    images = pipe[0].transform(files[:2])
    from_files = grad_cam(pipe, files[:2])
    assert from_files.shape == (2, SIZE, SIZE)
    assert np.isfinite(from_files).all() and from_files.min() >= 0
    np.testing.assert_allclose(from_files, grad_cam(pipe[-1], images), atol=1e-6)


def test_all_three_maps_on_real_speech(fitted):
    pipe, files, _ = fitted
    occ = occlusion_sensitivity(pipe, files[:2], size=16, stride=8)
    lime = lime_explanation(pipe, files[:2], tiles=(4, 8), n_samples=40, random_state=0)
    cam = grad_cam(pipe, files[:2], target="sadness", layer="encoder.va2")
    for maps in (occ, lime.heatmaps, cam):
        assert maps.shape == (2, SIZE, SIZE) and np.isfinite(maps).all()
    assert lime.targets.tolist() == pipe.predict(files[:2]).tolist()
    image = pipe[0].transform(files[:1])[0]
    fig = plot_explanations(image, {"Grad-CAM": cam[0], "LIME": lime.heatmaps[0],
                                    "Occlusion": occ[0]})
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"


def test_frequency_profiles_of_the_four_emotions(fitted):
    pipe, files, y = fitted
    prof = frequency_profile(pipe, files, y)
    assert prof.profiles.shape == (4, SIZE) and np.isfinite(prof.profiles).all()
    assert sorted(prof.labels.tolist()) == ["anger", "happiness", "neutral", "sadness"]
    assert prof.counts.tolist() == [4, 4, 4, 4]


def test_gradcam_to_audio_on_a_real_file(fitted, tmp_path):
    pipe, files, _ = fitted
    heat = grad_cam(pipe, files[:1], layer="encoder.va2")[0]
    out = tmp_path / "activated.wav"
    res = gradcam_to_audio(heat, files[0], out=out)
    info = sf.info(files[0])
    data, sr = sf.read(out)
    assert sr == info.samplerate == res.sr
    assert data.shape == res.waveform.shape and 0 < data.shape[0] < info.frames
    duration = info.frames / info.samplerate
    assert np.all(res.intervals[:, 0] < res.intervals[:, 1])
    assert res.intervals.min() >= 0 and res.intervals.max() <= duration + 1e-9
    assert np.all(np.diff(res.intervals.ravel()) > 0)  # sorted, disjoint
    kept = int(round((res.intervals[:, 1] - res.intervals[:, 0]).sum() * sr))
    assert kept == data.shape[0]
