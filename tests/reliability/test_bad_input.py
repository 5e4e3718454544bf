"""Bad input, tried for real through the front end and the corpus loaders.

``tests/test_audio.py`` checks :func:`load_audio` on each kind of bad file;
here the same files go through ``LogMelImage().transform([...])``, with
``on_error="raise" | "skip" | "warn"``, through the loaders and through
``drop_unreadable``. ``docs/reliability.md`` tabulates the behaviour.
"""

import shutil
import warnings

import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ser.audio import pad_to_length
from sklearn_ser.datasets import drop_unreadable, load_corpus, load_emodb
from sklearn_ser.exceptions import (
    AudioLoadError,
    CorpusError,
    FailedItem,
    FailedItemsWarning,
    PartialCorpusWarning,
)
from sklearn_ser.features import LogMelImage, flatten_images, logmel_image

SIZE = (32, 32)

# name -> (exception, message pattern): what a bad file does with on_error="raise"
UNREADABLE = {
    "empty": (AudioLoadError, r"empty\.wav' is empty \(0 bytes\); re-copy or remove it"),
    "zero_length": (AudioLoadError, r"zero_length\.wav' contains no samples"),
    "nan": (AudioLoadError, r"nan\.wav' contains NaN or infinite samples \(2 of 8000\)"),
    "corrupt_header": (AudioLoadError, r"Cannot decode audio file .*corrupt_header\.wav.*"
                                       r"convert it .* or remove it"),
    "text": (AudioLoadError, r"Cannot decode audio file .*text\.wav"),
    "missing": (FileNotFoundError, r"missing\.wav' does not exist; check the path"),
}


def images(X, **params):
    return LogMelImage(size=SIZE, **params).fit_transform(X)


# ------------------------------------------------------------------ raise (the default)


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_file_stops_the_batch_naming_it(audio_dir, name):
    error, match = UNREADABLE[name]
    with pytest.raises(error, match=match):
        LogMelImage(size=SIZE).fit_transform([audio_dir["tone"], audio_dir[name]])


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_on_error_skip_keeps_rows_aligned_and_records_failures(audio_dir, n_jobs):
    order = ["tone", "empty", "rate_96k", "nan", "missing", "short", "text", "zero_length",
             "corrupt_header", "stereo"]
    X = [audio_dir[name] for name in order]
    front = LogMelImage(size=SIZE, on_error="skip", n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "skip" is silent
        out = front.fit_transform(X)
    assert out.shape == (len(X), 1) + SIZE
    bad = [i for i, name in enumerate(order) if name in UNREADABLE]
    assert [f.index for f in front.failed_items_] == bad
    assert [f.source for f in front.failed_items_] == [X[i] for i in bad]
    assert all(isinstance(f, FailedItem) for f in front.failed_items_)
    assert front.failed_items_[0].error.startswith("AudioLoadError: Audio file")
    assert front.failed_items_[2].error.startswith("FileNotFoundError")
    assert not out[bad].any()  # filled with 0.0, the image of silence
    good = [i for i in range(len(X)) if i not in bad]
    np.testing.assert_array_equal(out[good], images([X[i] for i in good]))


def test_on_error_warn_gives_count_and_names(audio_dir):
    X = [audio_dir["tone"], audio_dir["empty"], audio_dir["text"], audio_dir["tone_24"]]
    front = LogMelImage(size=SIZE, on_error="warn", fill_value=np.nan)
    with pytest.warns(FailedItemsWarning) as record:
        out = front.fit_transform(X)
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith("LogMelImage: 2 of 4 items could not be read and were filled "
                              "with nan: ")
    assert audio_dir["empty"] in message and audio_dir["text"] in message
    assert "First error: AudioLoadError" in message
    assert record[0].filename == __file__  # points at the caller, not at the toolkit
    assert [f.index for f in record[0].message.failures] == [1, 2]
    assert np.isnan(out[[1, 2]]).all() and np.isfinite(out[[0, 3]]).all()
    # a downstream scikit-learn estimator refuses NaN rows instead of training on them
    from sklearn.linear_model import LogisticRegression

    pipe = make_pipeline(FunctionTransformer(flatten_images), LogisticRegression())
    with pytest.raises(ValueError, match="NaN"):
        pipe.fit(out, ["a", "b", "a", "b"])


def test_warning_lists_five_names_then_a_count(audio_dir):
    X = [audio_dir["empty"]] * 7 + [audio_dir["tone"]]
    with pytest.warns(FailedItemsWarning, match=r"7 of 8 items.*empty\.wav and 2 more\. First"):
        images(X, on_error="warn")


def test_bad_waveforms_in_a_batch(audio_dir):
    X = [np.zeros(0), np.full(4000, np.inf), np.ones((2, 100)), sf.read(audio_dir["tone"])[0]]
    with pytest.raises(AudioLoadError, match=r"'X\[0\]' contains no samples"):
        images(X)  # fit validates in-memory waveforms up front
    front = LogMelImage(size=SIZE, on_error="skip")
    out = front.fit_transform(X)
    assert [(f.index, f.source) for f in front.failed_items_] == [(0, "X[0]"), (1, "X[1]"),
                                                                   (2, "X[2]")]
    assert "must be 1-D" in front.failed_items_[2].error
    assert out[3].max() > 100 and not out[:3].any()


def test_failures_are_not_cached_and_a_fixed_file_is_read(audio_dir, tmp_path):
    path = audio_dir["empty"]
    front = LogMelImage(size=SIZE, memory=tmp_path / "cache", on_error="skip")
    front.fit_transform([path, audio_dir["tone"]])
    assert len(front.failed_items_) == 1
    assert len(list((tmp_path / "cache").rglob("*.npy"))) == 1
    shutil.copy(audio_dir["tone_24"], path)  # the file is repaired in place
    out = front.fit_transform([path, audio_dir["tone"]])
    assert front.failed_items_ == [] and out[0].max() > 100


def test_invalid_on_error_is_refused():
    with pytest.raises(ValueError, match="on_error"):
        LogMelImage(on_error="ignore").fit([np.ones(100)])


def test_skip_mode_still_raises_for_bugs_and_bad_parameters(audio_dir):
    with pytest.raises(ValueError, match="Nyquist"):
        LogMelImage(size=SIZE, fmax=9000, on_error="skip").fit_transform([audio_dir["tone"]])
    with pytest.raises(TypeError, match="wrap it in a list"):
        LogMelImage(on_error="skip").fit_transform(audio_dir["tone"])


# ------------------------------------------------------------------ documented normalisations


def test_silent_file_gives_an_all_zero_image(audio_dir):
    out = images([audio_dir["silent"]])
    assert out.shape == (1, 1) + SIZE and not out.any()


def test_clip_shorter_than_the_fft_window_is_padded_symmetrically(audio_dir):
    out = images([audio_dir["short"]])
    y, _ = sf.read(audio_dir["short"], dtype="float32")
    assert len(y) == 100 < 2048
    expected = logmel_image(pad_to_length(y, 2048), size=SIZE)
    np.testing.assert_array_equal(out[0, 0], expected)
    assert np.isfinite(out).all() and out.max() > 100


def test_stereo_is_mixed_to_mono(audio_dir):
    stereo, mono = images([audio_dir["stereo"], audio_dir["tone"]])
    np.testing.assert_allclose(stereo, mono, atol=1e-3)


@pytest.mark.parametrize("name", ["tone_24", "tone_float"])
def test_24_bit_and_float_match_16_bit(audio_dir, name):
    other, ref = images([audio_dir[name], audio_dir["tone"]])
    assert np.abs(other - ref).max() < 0.5  # 16-bit noise (-96 dB) is below the 80 dB range


def test_8_bit_quantisation_noise_shows_in_the_background(audio_dir):
    u8, ref = images([audio_dir["tone_u8"], audio_dir["tone"]])[:, 0]
    assert np.argmax(u8.mean(axis=1)) == np.argmax(ref.mean(axis=1))  # same tone row
    assert np.corrcoef(u8.ravel(), ref.ravel())[0, 1] > 0.9
    assert np.median(u8) > np.median(ref) + 20  # noise at about -48 dB is inside 80 dB


@pytest.mark.parametrize("name", ["rate_8k", "rate_96k"])
def test_other_rates_are_resampled_to_sr(audio_dir, name):
    assert sf.info(audio_dir[name]).samplerate in (8000, 96000)
    other, ref = images([audio_dir[name], audio_dir["tone"]])[:, 0]
    assert np.argmax(other.mean(axis=1)) == np.argmax(ref.mean(axis=1))
    assert np.corrcoef(other.ravel(), ref.ravel())[0, 1] > 0.99
    if name == "rate_8k":  # nothing above its 4 kHz Nyquist: the top mel rows stay dark
        assert other[:4].max() < 1


# ------------------------------------------------------------------ corpus loaders


def _emodb_tree(root, audio_dir):
    wav = root / "emodb" / "wav"
    wav.mkdir(parents=True)
    good = {"03a01Fa": "tone", "03a01Wa": "tone_24", "08a02Lc": "rate_96k", "16b10Tb": "stereo"}
    for stem, source in good.items():
        shutil.copy(audio_dir[source], wav / f"{stem}.wav")
    shutil.copy(audio_dir["empty"], wav / "09a01Na.wav")  # valid names, unreadable content
    shutil.copy(audio_dir["zero_length"], wav / "10a01Na.wav")
    shutil.copy(audio_dir["text"], wav / "11a01Na.wav")
    shutil.copy(audio_dir["nan"], wav / "12a01Na.wav")  # header fine, samples not
    # stray files
    shutil.copy(audio_dir["tone"], wav / "03a01Xa.wav")  # 'X': an emotion outside the scheme
    shutil.copy(audio_dir["tone"], wav / "recording 1.wav")  # not the naming scheme
    (root / "emodb" / "README.txt").write_text("EmoDB copy\n")
    (root / "emodb" / "erkennung.txt").write_text("03a01Fa 90.0\n")
    (wav / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (wav / "._03a01Fa.wav").write_bytes(b"\x00\x05\x16\x07")  # AppleDouble
    macosx = root / "emodb" / "__MACOSX" / "wav"
    macosx.mkdir(parents=True)
    (macosx / "._03a01Wa.wav").write_bytes(b"\x00\x05\x16\x07")
    return root


def test_corpus_folder_with_stray_and_broken_files(tmp_path, audio_dir):
    home = _emodb_tree(tmp_path / "home", audio_dir)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        data = load_emodb(home)
    messages = [str(w.message) for w in record if w.category is not PartialCorpusWarning]
    assert len(messages) == 3, messages
    assert any("Skipped 2 audio file(s)" in m and "03a01Xa.wav" in m and "recording 1.wav" in m
               for m in messages)  # the unknown emotion code and the misnamed file
    assert any("Skipped 2 EmoDB file(s) whose audio header cannot be read" in m
               and "09a01Na.wav" in m and "11a01Na.wav" in m for m in messages)
    assert any("Skipped 1 EmoDB file(s) that hold no samples" in m and "10a01Na.wav" in m
               for m in messages)
    # the NaN file passes the header check; the loader keeps it and its label
    names = [p.rsplit("/", 1)[-1] for p in data.filenames]
    assert names == ["03a01Fa.wav", "03a01Wa.wav", "08a02Lc.wav", "12a01Na.wav", "16b10Tb.wav"]
    assert data.target.tolist() == ["happiness", "anger", "boredom", "neutral", "sadness"]
    assert "Skipped 3 unreadable file(s)." in data.DESCR
    with pytest.raises(CorpusError, match=r"03a01Xa\.wav does not follow the EmoDB naming"):
        load_emodb(home, strict=True)

    # drop_unreadable decodes every file and cuts all per-item arrays together
    with pytest.warns(FailedItemsWarning, match=r"Dropped 1 of 5 files .*12a01Na\.wav"):
        clean = drop_unreadable(data)
    assert [f.index for f in clean.unreadable] == [3]
    for key in ("filenames", "target", "speaker", "gender", "corpus", "text", "version"):
        np.testing.assert_array_equal(clean[key], np.delete(data[key], 3))
    assert clean.target_names.tolist() == ["anger", "boredom", "happiness", "sadness"]
    assert len(data.filenames) == 5  # the input Bunch is left as it was
    assert "Dropped 1 of 5 files" in clean.DESCR
    out = LogMelImage(size=SIZE).fit_transform(clean.filenames)  # no error now
    assert out.shape == (4, 1) + SIZE


def test_drop_unreadable_with_allow_silence_false(tmp_path, audio_dir):
    bunch = {"filenames": np.array([audio_dir["tone"], audio_dir["silent"]]),
             "target": np.array(["anger", "fear"]), "sample_rate": np.array([16000, 8000])}
    kept = drop_unreadable(bunch)
    assert kept.unreadable == [] and kept.target.tolist() == ["anger", "fear"]
    with pytest.warns(FailedItemsWarning, match=r"silent\.wav.*all zeros"):
        loud = drop_unreadable(bunch, allow_silence=False)
    assert loud.target.tolist() == ["anger"] and loud.sample_rate == 16000
    with pytest.raises(TypeError, match="needs a corpus Bunch with a 'filenames' array"):
        drop_unreadable({"target": np.array(["anger"])})


def test_mixed_corpora_with_different_label_sets(tmp_path, audio_dir):
    home = tmp_path / "home"
    (home / "emodb" / "wav").mkdir(parents=True)
    (home / "tess" / "OAF_ps").mkdir(parents=True)
    for stem in ("03a01Fa", "03a01La"):  # happiness, boredom
        shutil.copy(audio_dir["tone"], home / "emodb" / "wav" / f"{stem}.wav")
    for stem in ("OAF_back_ps", "OAF_back_happy"):  # surprise, happiness
        shutil.copy(audio_dir["tone"], home / "tess" / "OAF_ps" / f"{stem}.wav")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartialCorpusWarning)
        union = load_corpus("emodb+tess", home)
        shared = load_corpus("emodb+tess", home, harmonize="pretraining")
    assert union.target_names.tolist() == ["boredom", "happiness", "surprise"]
    assert "Labels not present in every part: boredom (emodb only); surprise (tess only)" \
        in union.DESCR
    assert "harmonize='pretraining'" in union.DESCR
    assert shared.target_names.tolist() == ["happiness", "surprise"]  # boredom dropped
    assert shared.corpus.tolist() == ["emodb", "tess", "tess"]


# ------------------------------------------------------------------ real speech


def test_real_emodb_files_with_broken_ones_among_them(emodb_home, audio_dir):
    real = [str(p) for p in sorted((emodb_home / "emodb" / "wav").glob("03a0*.wav"))[:3]]
    X = [real[0], audio_dir["corrupt_header"], real[1], audio_dir["missing"], real[2]]
    front = LogMelImage(size=(64, 64), on_error="warn")
    with pytest.warns(FailedItemsWarning, match=r"2 of 5 items"):
        out = front.fit_transform(X)
    np.testing.assert_array_equal(out[[0, 2, 4]], LogMelImage(size=(64, 64)).fit_transform(real))
    assert [f.index for f in front.failed_items_] == [1, 3]
    # the real corpus decodes completely: nothing is dropped and nothing is said
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = drop_unreadable(load_emodb(emodb_home), n_jobs=2)
    assert len(full.filenames) == 535 and full.unreadable == [] and full.sample_rate == 16000
