"""
Explaining a real EmoDB prediction
==================================

Why did the network call this utterance angry? This example trains a small
visual-attention CNN (:class:`~sklearn_ser.estimators.VACNNClassifier`) on
log-mel images of EmoDB, leaving one speaker out, and explains its prediction
for one of that speaker's utterances three ways (as Kim & Kwak 2024 do):

- :func:`~sklearn_ser.explain.grad_cam`: the gradient-weighted activation of
  the last visual-attention block, upsampled to the image;
- :func:`~sklearn_ser.explain.lime_explanation`: time-frequency tiles switched
  on and off, and a weighted linear surrogate of the class probability;
- :func:`~sklearn_ser.explain.occlusion_sensitivity`: the drop in the class
  probability when a sliding patch is replaced by the image mean.

The Grad-CAM map is then turned back into sound
(:func:`~sklearn_ser.explain.gradcam_to_audio`): its time profile (sum over
frequency) is smoothed, the columns above its mean are kept, and the matching
stretches of the waveform are written to a wav file.

The defaults (64x64 images, a narrow network, 15 epochs) take about two
minutes on a laptop CPU. ``--size 128 --epochs 30`` is closer to the paper.
The corpus is read from ``SKLEARN_SER_DATA``; the figure and the wav are
written to ``--out-dir`` (default: the current folder).
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from sklearn_ser.audio import load_audio
from sklearn_ser.datasets import load_emodb
from sklearn_ser.estimators import VACNNClassifier
from sklearn_ser.explain import (
    grad_cam,
    gradcam_to_audio,
    lime_explanation,
    occlusion_sensitivity,
    plot_explanations,
)
from sklearn_ser.features import LogMelImage

parser = argparse.ArgumentParser(description="Explain a VACNN prediction on EmoDB")
parser.add_argument("--size", type=int, default=64, help="log-mel image side (pixels)")
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--speaker", default="03", help="held-out EmoDB speaker")
parser.add_argument("--emotion", default="anger", help="emotion of the utterance to explain")
parser.add_argument("--out-dir", default=".", help="where the PNG and the wav go")
args, _ = parser.parse_known_args()
out_dir = Path(args.out_dir)
out_dir.mkdir(parents=True, exist_ok=True)

# %%
# Train on every speaker but one
# ------------------------------
# The pipeline takes file names: the log-mel front end reads and renders them.
emodb = load_emodb()
held_out = emodb.speaker == args.speaker
widths = (16, 32, 64) if args.size <= 64 else (32, 96, 288)
pipe = make_pipeline(
    LogMelImage(size=(args.size, args.size)),
    VACNNClassifier(module__widths=widths, max_epochs=args.epochs, batch_size=16,
                    random_state=0),
)
pipe.fit(emodb.filenames[~held_out], emodb.target[~held_out])
test_files, test_labels = emodb.filenames[held_out], emodb.target[held_out]
accuracy = np.mean(pipe.predict(test_files) == test_labels)
print(f"speaker {args.speaker}: {held_out.sum()} utterances, accuracy {accuracy:.3f}")

# %%
# Pick an utterance
# -----------------
# The held-out utterance of the requested emotion that the network gives the
# highest probability for that emotion.
candidates = np.flatnonzero(test_labels == args.emotion)
if candidates.size == 0:
    raise SystemExit(f"speaker {args.speaker} has no {args.emotion!r} utterance")
column = list(pipe.classes_).index(args.emotion)
proba = pipe.predict_proba(test_files[candidates])
pick = candidates[np.argmax(proba[:, column])]
path = [test_files[pick]]
predicted = pipe.predict(path)[0]
print(f"{Path(path[0]).name}: true {test_labels[pick]}, predicted {predicted}, "
      f"p({args.emotion}) = {proba[:, column].max():.2f}")

# %%
# Three explanations of the same decision
# ---------------------------------------
# All three take the fitted pipeline and the file name; the front end is
# applied for them. ``target`` names the class explained (default: the
# predicted one). Grad-CAM costs one forward and one backward pass, LIME a few
# hundred forward passes, occlusion one pass per batch of patch positions.
image = pipe[:-1].transform(path)[0, 0]
maps = {
    "Grad-CAM": grad_cam(pipe, path, target=args.emotion)[0],
    "LIME": lime_explanation(pipe, path, target=args.emotion, n_samples=300,
                             random_state=0).heatmaps[0],
    "Occlusion": occlusion_sensitivity(pipe, path, target=args.emotion)[0],
}
audio, sr = load_audio(path[0], sr=16000)
fig = plot_explanations(image, maps, duration=len(audio) / sr,
                        title=f"{Path(path[0]).name}: {args.emotion} (predicted {predicted})")
figure_path = out_dir / "explain_emodb.png"
fig.savefig(figure_path, dpi=120)
print(f"figure: {figure_path}")

# %%
# Grad-CAM turned into audio
# --------------------------
# The columns of the image span the whole utterance, so each column maps to
# ``len(audio) / width`` samples. The kept stretches are concatenated into a
# shorter wav: the parts of the utterance that drove the decision.
wav_path = out_dir / "explain_emodb_gradcam.wav"
extracted = gradcam_to_audio(maps["Grad-CAM"], audio, sr, out=wav_path)
intervals = extracted.intervals
kept = len(extracted.waveform) / sr
print(f"Grad-CAM audio: kept {kept:.2f} s of {len(audio) / sr:.2f} s in "
      f"{len(intervals)} interval(s): "
      + ", ".join(f"{start:.2f}-{end:.2f} s" for start, end in intervals))
print(f"wav: {wav_path}")
plt.show()
