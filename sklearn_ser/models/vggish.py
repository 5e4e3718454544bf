"""VGGish (Hershey et al., ICASSP 2017) in PyTorch, laid out like the released TF model.

The audio embedding network Google released with AudioSet: a VGG-like stack
on 96 x 64 log-mel patches (96 frames of 10 ms, 64 mel bands; rows are time,
columns are frequency)::

    input            1 x 96 x 64
    conv1  3x3  64,  pool1 2x2   ->  64 x 48 x 32
    conv2  3x3 128,  pool2 2x2   -> 128 x 24 x 16
    conv3_1/3_2 3x3 256, pool3   -> 256 x 12 x  8
    conv4_1/4_2 3x3 512, pool4   -> 512 x  6 x  4
    flatten (time, frequency, channel order, as TF) -> 12288
    fc1_1 4096, fc1_2 4096, fc2 128 (the embedding, no activation)

Every convolution is 3 x 3, stride 1, "same" padding, with bias and ReLU;
pools are 2 x 2 max pools with stride 2. ``include_top=False`` drops the three
fully connected layers (about 67 M of the 72 M parameters) when only the
feature maps are used, as in the late-fusion network of Kim & Kwak 2024.

Without released weights the network is He-initialised (fan-in, ReLU gain;
zero biases), so activations keep their scale through the depth; PyTorch's
default initialisation shrinks them about 50-fold by pool 4.

Released weights are converted by :mod:`sklearn_ser.models.weights`. The
released front end (log of a 64-band 125-7500 Hz mel magnitude spectrogram
plus 0.01) is what :class:`~sklearn_ser.features.segments.SegmentedLogMel`
computes; no input normalisation is applied.
"""

import torch  # noqa: F401 - the examples in the docstrings use it
import torch.nn.functional as F
from torch import nn

__all__ = ["VGGish", "VGGishBlock", "VGGISH_INPUT_SHAPE"]

#: (frames, mel bands) of one VGGish input patch.
VGGISH_INPUT_SHAPE = (96, 64)


class VGGishBlock(nn.Module):
    """``n_convs`` 3x3 convolutions (same padding, ReLU) followed by a 2x2 max pool.

    Parameters
    ----------
    in_channels, out_channels : int
    n_convs : int, default=1

    Examples
    --------
    >>> VGGishBlock(1, 8, n_convs=2)(torch.zeros(2, 1, 16, 12)).shape
    torch.Size([2, 8, 8, 6])
    """

    def __init__(self, in_channels, out_channels, n_convs=1):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
            for i in range(n_convs)
        )
        self.pool = nn.MaxPool2d(2, stride=2)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        return self.pool(x)


class VGGish(nn.Module):
    """The VGGish audio embedding network.

    Parameters
    ----------
    include_top : bool, default=True
        Keep the fully connected layers ``fc1_1``, ``fc1_2`` and ``fc2``
        (input must then be exactly 96 x 64). Without them ``forward``
        returns the pool-4 map and any input of at least 16 x 16 works.

    Attributes
    ----------
    block1 .. block4 : VGGishBlock
        conv1/pool1, conv2/pool2, conv3_x/pool3, conv4_x/pool4.
    fc1_1, fc1_2, fc2 : torch.nn.Linear
        Present when ``include_top``.

    See Also
    --------
    sklearn_ser.models.weights.load_vggish_weights : Released weights as a state dict.

    Examples
    --------
    >>> net = VGGish(include_top=False)
    >>> maps = net.feature_maps(torch.zeros(2, 1, 96, 64))
    >>> {name: tuple(m.shape[1:]) for name, m in maps.items()}
    {'pool1': (64, 48, 32), 'pool2': (128, 24, 16), 'pool3': (256, 12, 8), 'pool4': (512, 6, 4)}
    """

    def __init__(self, include_top=True):
        super().__init__()
        self.include_top = include_top
        self.block1 = VGGishBlock(1, 64, n_convs=1)
        self.block2 = VGGishBlock(64, 128, n_convs=1)
        self.block3 = VGGishBlock(128, 256, n_convs=2)
        self.block4 = VGGishBlock(256, 512, n_convs=2)
        if include_top:
            frames, bands = VGGISH_INPUT_SHAPE
            self.fc1_1 = nn.Linear(512 * (frames // 16) * (bands // 16), 4096)
            self.fc1_2 = nn.Linear(4096, 4096)
            self.fc2 = nn.Linear(4096, 128)
        self.reset_parameters()

    def reset_parameters(self):
        """He initialisation (fan-in, ReLU gain) of every layer; biases at zero."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def _check_input(self, x):
        if x.ndim != 4 or x.shape[1] != 1:
            raise ValueError(
                f"VGGish expects log-mel patches of shape (batch, 1, frames, bands), got "
                f"{tuple(x.shape)}."
            )
        if self.include_top and tuple(x.shape[2:]) != VGGISH_INPUT_SHAPE:
            raise ValueError(
                f"VGGish with include_top=True needs {VGGISH_INPUT_SHAPE[0]} x "
                f"{VGGISH_INPUT_SHAPE[1]} patches, got {tuple(x.shape[2:])}; use "
                "include_top=False for other sizes."
            )
        if min(x.shape[2:]) < 16:
            raise ValueError(f"VGGish needs patches of at least 16 x 16, got {tuple(x.shape[2:])}.")

    def feature_maps(self, x):
        """Outputs of the four pooling layers.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, 1, frames, bands)

        Returns
        -------
        maps : dict
            ``"pool1"`` .. ``"pool4"`` → tensors ``(batch, C, frames / 2^k, bands / 2^k)``.
        """
        self._check_input(x)
        maps = {}
        for k, block in enumerate((self.block1, self.block2, self.block3, self.block4), 1):
            x = block(x)
            maps[f"pool{k}"] = x
        return maps

    def forward(self, x):
        """128-d embeddings ``(batch, 128)``, or the pool-4 map without the top."""
        x = self.feature_maps(x)["pool4"]
        if not self.include_top:
            return x
        # TF flattens (time, frequency, channel); keep that order so released weights fit.
        x = x.permute(0, 2, 3, 1).flatten(1)
        x = F.relu(self.fc1_1(x))
        x = F.relu(self.fc1_2(x))
        return self.fc2(x)
