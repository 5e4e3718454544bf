"""Figures render to PNG without a display (Agg)."""

import io

import matplotlib
import numpy as np
import pytest

from sklearn_ser.explain import (
    plot_confusion_matrix,
    plot_explanations,
    plot_frequency_profile,
)
from sklearn_ser.metrics import emotion_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_bytes(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_backend_is_display_free():
    assert matplotlib.get_backend().lower() == "agg"


def test_explanations_side_by_side():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (1, 32, 48))
    maps = {"Grad-CAM": rng.uniform(0, 1, (32, 48)),
            "LIME": rng.normal(size=(32, 48)),
            "Occlusion": rng.normal(size=(1, 32, 48))}
    fig = plot_explanations(image, maps, duration=1.5, title="anger")
    titles = [ax.get_title() for ax in fig.axes[:4]]
    assert titles[0] == "Spectrogram" and set(titles[1:]) <= {"Grad-CAM", "LIME", "Occlusion"}
    assert png_bytes(fig).startswith(PNG_MAGIC)
    # signed maps get a diverging colour map centred on zero
    lime_image = [ax for ax in fig.axes if ax.get_title() == "LIME"][0].images[1]
    vmin, vmax = lime_image.get_clim()
    assert vmin == pytest.approx(-vmax)
    with pytest.raises(ValueError, match="has shape"):
        plot_explanations(image, {"Grad-CAM": np.zeros((16, 16))})
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_explanations(image, {})


def test_confusion_matrix_from_report_and_counts():
    report = emotion_report(["anger", "anger", "sadness", "neutral"],
                            ["anger", "sadness", "sadness", "sadness"])
    ax = plot_confusion_matrix(report)
    assert [t.get_text() for t in ax.get_xticklabels()] == report.labels.tolist()
    assert [t.get_text() for t in ax.texts][:3] == ["1", "0", "1"]
    assert png_bytes(ax.figure).startswith(PNG_MAGIC)
    ax = plot_confusion_matrix(report, normalize="pred", colorbar=False)
    assert [t.get_text() for t in ax.texts][2::3] == ["0.33", "0.33", "0.33"]  # sadness column
    ax = plot_confusion_matrix(np.array([[3, 1], [0, 0]]), ["a", "b"], normalize="true")
    assert [t.get_text() for t in ax.texts] == ["0.75", "0.25", "0.00", "0.00"]
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="normalize"):
        plot_confusion_matrix(report, normalize="rows")
    with pytest.raises(ValueError, match="labels has 2 names"):
        plot_confusion_matrix(report, labels=["a", "b"])


def test_frequency_profile_plot_in_hz_and_rows():
    from sklearn.utils import Bunch

    prof = Bunch(profiles=np.random.default_rng(0).uniform(size=(3, 64)),
                 labels=np.array(["anger", "neutral", "sadness"]))
    ax = plot_frequency_profile(prof, fmax=8000)
    x = ax.lines[0].get_xdata()
    assert 0 < x[0] < x[-1] < 8000 and np.all(np.diff(x) > 0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == prof.labels.tolist()
    assert png_bytes(ax.figure).startswith(PNG_MAGIC)
    ax = plot_frequency_profile(prof.profiles)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(64))
    with pytest.raises(ValueError, match="labels has 1 names"):
        plot_frequency_profile(prof, ["anger"])
