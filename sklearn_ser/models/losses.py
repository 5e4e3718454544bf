"""Center loss and the joint softmax + center criterion of Dai et al. 2019.

The network's FC1 output ``x_i`` (the *embedding*) is pulled toward a
center ``c_{y_i}`` kept for every class, while class-weighted softmax
cross-entropy on FC2's logits keeps the classes apart::

    L   = L_s + lambda_ * L_c
    L_s = -sum_i w_{y_i} log softmax(z_i)_{y_i} / sum_i w_{y_i}
    L_c = 1/2 sum_i w_{y_i} ||x_i - c_{y_i}||^2 / sum_i w_{y_i}

with ``w_j`` the weight of class ``j`` (inversely proportional to its number
of training utterances in the paper). Both terms are divided by the same
``sum_i w_{y_i}``, so their ratio, and hence the meaning of ``lambda_``, is
that of the paper's summed formulation (its equations 5 to 7).

The centers are **not** learned by the optimiser: they are a buffer that
starts at zero and, after the loss of each training mini-batch is computed,
moves toward that batch's class means at rate ``alpha``::

    c_j <- c_j + alpha * (mean_{i: y_i = j} x_i - c_j)    for classes j in the batch

Centers of classes absent from the batch keep their value (Dai et al. 2019,
equations 3 and 4). This differs from Wen et al.'s original rule
``c_j <- c_j - alpha * sum_i (c_j - x_i) / (1 + n_j)``, which damps the step
for classes with few samples in the batch.
"""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["CenterLoss", "SoftmaxCenterLoss"]

_REDUCTIONS = ("mean", "sum")


def _check_class_weight(class_weight, n_classes):
    if class_weight is None:
        return torch.ones(n_classes)
    weight = torch.as_tensor(class_weight, dtype=torch.float32).detach().clone().reshape(-1)
    if weight.shape != (n_classes,) or not bool(torch.isfinite(weight).all()) or \
            bool((weight <= 0).any()):
        raise ValueError(
            f"class_weight must hold {n_classes} positive finite weights (one per class, in "
            f"class-index order), got {class_weight!r}."
        )
    return weight


class CenterLoss(nn.Module):
    """Class-weighted center loss with per-batch center updates at rate ``alpha``.

    Parameters
    ----------
    n_classes : int
        Number of classes (rows of ``centers``).
    n_features : int
        Width of the embeddings.
    alpha : float, default=0.5
        Update rate of the centers, in ``[0, 1]``: ``0`` freezes them at
        zero, ``1`` replaces a center by the batch's class mean.
    class_weight : array-like of shape (n_classes,) or None, default=None
        Weight ``w_j`` of each class's terms; ``None`` weighs all classes 1.
    reduction : {"mean", "sum"}, default="mean"
        ``"mean"`` divides the weighted sum by ``sum_i w_{y_i}`` (the
        weighted mean, as :func:`torch.nn.functional.cross_entropy` does with
        ``weight``); ``"sum"`` returns the weighted sum.

    Attributes
    ----------
    centers : torch.Tensor of shape (n_classes, n_features)
        Buffer (saved in the ``state_dict``, never given to the optimiser).
    class_weight : torch.Tensor of shape (n_classes,)
        Buffer.

    Notes
    -----
    In training mode every call updates ``centers`` after computing the loss
    with the centers as they were (see the module notes); in evaluation mode
    the centers do not move. The gradient flows to the embeddings only.

    Examples
    --------
    >>> loss = CenterLoss(n_classes=2, n_features=2, alpha=0.5)
    >>> x = torch.tensor([[2.0, 0.0], [4.0, 0.0], [0.0, 2.0]])
    >>> float(loss(x, torch.tensor([0, 0, 1])))   # centers are zero: (4 + 16 + 4) / 2 / 3
    4.0
    >>> loss.centers.tolist()                      # halfway to the class means
    [[1.5, 0.0], [0.0, 1.0]]
    """

    def __init__(self, n_classes, n_features, alpha=0.5, class_weight=None, reduction="mean"):
        super().__init__()
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}.")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}.")
        self.n_classes = int(n_classes)
        self.n_features = int(n_features)
        self.alpha = float(alpha)
        self.reduction = reduction
        self.register_buffer("centers", torch.zeros(self.n_classes, self.n_features))
        self.register_buffer("class_weight", _check_class_weight(class_weight, self.n_classes))

    def forward(self, features, target):
        """Loss of ``features`` ``(B, n_features)`` with labels ``target`` ``(B,)``.

        Returns
        -------
        loss : torch.Tensor, scalar
        """
        if features.dim() != 2 or features.shape[1] != self.n_features:
            raise ValueError(
                f"features must have shape (batch, {self.n_features}), got "
                f"{tuple(features.shape)}."
            )
        target = target.long()
        centers = self.centers.to(features.dtype)[target]
        weight = self.class_weight.to(features.dtype)[target]
        per_item = 0.5 * ((features - centers) ** 2).sum(dim=1)
        loss = (weight * per_item).sum()
        if self.reduction == "mean":
            loss = loss / weight.sum()
        if self.training:
            self.update_centers(features, target)
        return loss

    @torch.no_grad()
    def update_centers(self, features, target):
        """Move the centers of the classes in ``target`` toward their batch means.

        ``c_j <- c_j + alpha * (mean_{i: y_i = j} features_i - c_j)``; centers of
        absent classes stay.

        Parameters
        ----------
        features : torch.Tensor of shape (B, n_features)
        target : torch.Tensor of shape (B,), integer
        """
        features = features.detach().to(self.centers.dtype)
        target = target.long()
        sums = torch.zeros_like(self.centers).index_add_(0, target, features)
        counts = torch.bincount(target, minlength=self.n_classes)
        present = counts > 0
        means = sums[present] / counts[present].unsqueeze(1).to(sums.dtype)
        self.centers[present] += self.alpha * (means - self.centers[present])

    def reset_centers(self):
        """Set every center back to zero."""
        self.centers.zero_()

    def extra_repr(self):
        return (f"n_classes={self.n_classes}, n_features={self.n_features}, "
                f"alpha={self.alpha}, reduction={self.reduction!r}")


class SoftmaxCenterLoss(nn.Module):
    """Joint criterion ``L_s + lambda_ * L_c``: weighted cross-entropy plus center loss.

    Takes the ``(logits, embedding)`` pair a :class:`~sklearn_ser.models.crnn.CRNN`
    returns. Both terms use the same class weights and are normalised by the
    same ``sum_i w_{y_i}`` (module notes).

    Parameters
    ----------
    n_classes : int
        Number of classes.
    n_features : int
        Width of the embedding (the network's ``embedding_dim``).
    lambda_ : float, default=0.3
        Weight of the center loss; ``0`` trains with cross-entropy only
        (the centers still move, so they can be inspected).
    alpha : float, default=0.5
        Center update rate (see :class:`CenterLoss`).
    class_weight : array-like of shape (n_classes,) or None, default=None
        Class weights of both terms; ``None`` weighs all classes 1.

    Attributes
    ----------
    center_loss : CenterLoss
        Holds the ``centers`` buffer.
    class_weight : torch.Tensor of shape (n_classes,)
        Buffer.
    last_softmax_loss, last_center_loss : torch.Tensor or None
        The two terms of the last call (detached), for monitoring.

    Notes
    -----
    The seed text gives the pair (lambda, alpha) of its best setting as 0.3
    and 0.5 with the symbols lost; its table lists ``=0`` for the settings
    without center loss with the same first symbol, which is lambda (the
    weight that switches center loss off). Hence ``lambda_=0.3``,
    ``alpha=0.5``; both are parameters.

    Examples
    --------
    >>> criterion = SoftmaxCenterLoss(n_classes=2, n_features=2, lambda_=0.5)
    >>> logits = torch.zeros(2, 2)                     # L_s = log 2
    >>> embedding = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> loss = criterion((logits, embedding), torch.tensor([0, 1]))
    >>> round(float(loss), 4), round(float(criterion.last_center_loss), 4)   # log 2 + 0.5 * 2
    (1.6931, 2.0)
    """

    def __init__(self, n_classes, n_features, lambda_=0.3, alpha=0.5, class_weight=None):
        super().__init__()
        if not float(lambda_) >= 0.0:
            raise ValueError(f"lambda_ must be >= 0, got {lambda_!r}.")
        self.n_classes = int(n_classes)
        self.lambda_ = float(lambda_)
        weight = _check_class_weight(class_weight, self.n_classes)
        self.register_buffer("class_weight", weight)
        self.center_loss = CenterLoss(n_classes, n_features, alpha=alpha, class_weight=weight,
                                      reduction="mean")
        self.last_softmax_loss = None
        self.last_center_loss = None

    def forward(self, output, target):
        """Joint loss of ``output = (logits, embedding)`` against ``target``.

        Returns
        -------
        loss : torch.Tensor, scalar
        """
        if not (isinstance(output, (tuple, list)) and len(output) >= 2):
            raise TypeError(
                "SoftmaxCenterLoss needs the (logits, embedding) pair a CRNN returns, got "
                f"{type(output).__name__}; use a module whose forward returns both."
            )
        logits, embedding = output[0], output[1]
        target = target.long()
        softmax_loss = F.cross_entropy(logits, target,
                                       weight=self.class_weight.to(logits.dtype))
        center_loss = self.center_loss(embedding, target)
        self.last_softmax_loss = softmax_loss.detach()
        self.last_center_loss = center_loss.detach()
        return softmax_loss + self.lambda_ * center_loss

    @property
    def centers(self):
        """The class centers, ``(n_classes, n_features)``."""
        return self.center_loss.centers

    def extra_repr(self):
        return f"lambda_={self.lambda_}"
