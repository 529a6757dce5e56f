"""What would fool it: adversarial examples (FGSM, few-step PGD in the L-infinity ball), the smallest epsilon that
changes the prediction, and targeted versions ("make it a 5").

Both attacks follow the gradient of the log-probability of one class with respect to the pixels, computed on the
pre-softmax scores (`run_layers(logits=True)`) with one compiled function per model (`compile_gradient`):
untargeted, they lower the log-probability of the class the model predicts for the clean image; targeted, they
raise the target's. Perturbed pixels stay in [0, 1] and within `epsilon` of the clean ones.

FGSM (Goodfellow et al. 2015) takes one step of size epsilon along the gradient's sign. Its direction does not
depend on epsilon, so the smallest flipping epsilon is found by trying a grid of epsilons in ONE batched prediction
and then bisecting between the last grid point that does not flip and the first that does. PGD (Madry et al. 2018)
takes `steps` signed steps of 2.5 * epsilon / steps, projecting back into the ball after each; it runs batched over
a whole grid of epsilons at once (one compiled gradient call per step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.inspection.forward import cached, compile_gradient, one_image, predictor, run_layers, structure_of
from cnnlab.inspection.perturb import ProbeError, word

METHODS = ("fgsm", "pgd")
MAX_EPSILON = 1.0
MAX_STEPS = 1000
MAX_GRID = 1024  # epsilons tried in one batch


@dataclass
class Attack:
    """One perturbed image and what the model says about it."""

    method: str  # "fgsm" | "pgd"
    epsilon: float
    target: int | None  # the class it was pushed towards, None for untargeted
    clean: np.ndarray  # (H, W, C) the input
    image: np.ndarray  # (H, W, C) the perturbed input, in [0, 1]
    probabilities_before: np.ndarray  # (K,)
    probabilities: np.ndarray  # (K,) for the perturbed image

    @property
    def before(self) -> int:
        return int(np.argmax(self.probabilities_before))

    @property
    def after(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def succeeded(self) -> bool:
        """Untargeted: the prediction changed; targeted: the model now predicts the target."""
        return self.after == self.target if self.target is not None else self.after != self.before

    @property
    def difference(self) -> np.ndarray:
        """perturbed - clean, in [-epsilon, epsilon]."""
        return self.image - self.clean

    def amplified(self) -> np.ndarray:
        """The difference scaled to fill [0, 1] for display: 0.5 is no change, 0 and 1 the largest either way."""
        diff = self.difference
        peak = float(np.abs(diff).max())
        return (0.5 + 0.5 * diff / peak if peak > 0 else np.full_like(diff, 0.5)).astype(np.float32)


@dataclass
class Flip:
    """The smallest epsilon (to the search's tolerance) at which the attack succeeds, or None up to `max_epsilon`."""

    method: str
    epsilon: float | None
    max_epsilon: float
    before: int  # the clean image's predicted class
    target: int | None
    attack: Attack | None  # the attack at `epsilon` (None when nothing flipped)

    @property
    def to_class(self) -> int | None:
        return self.attack.after if self.attack is not None else None


def _class_count(model: Any) -> int:
    structure = structure_of(model)
    shape = structure.layers[structure.output_index].output_shape
    if len(shape) != 1:
        raise ProbeError("engine.probe.output_shape", shape=str(shape))
    return int(shape[0])


def _log_prob_gradient(model: Any):
    """Compiled (x, onehot) -> ([probabilities], d sum(onehot * log_softmax(scores)) / dx), per image of a batch."""
    structure = structure_of(model)
    classes = _class_count(model)

    def build():
        def fn(x, onehot):
            import keras

            scores, _, _ = run_layers(model, x, logits=True)
            log_probs = keras.ops.log_softmax(scores, axis=-1)
            return keras.ops.sum(log_probs * onehot), [keras.ops.softmax(scores, axis=-1)]

        return compile_gradient(fn, model, [(None, *structure.input_shape), (None, classes)])

    return cached(model, "log_prob_gradient", build)


def _direction(model: Any, batch: np.ndarray, cls: int, target: int | None) -> np.ndarray:
    """The signed step that lowers the predicted class's log-probability (or raises the target's), per image."""
    k = cls if target is None else target
    onehot = np.zeros((len(batch), _class_count(model)), np.float32)
    onehot[:, k] = 1.0
    _, grad = _log_prob_gradient(model)(batch, onehot)
    return np.sign(grad) if target is not None else -np.sign(grad)


def _check(model: Any, epsilon: float, target: int | None, method: str = "fgsm") -> None:
    if method not in METHODS:
        raise ProbeError("engine.probe.method", value=repr(method), choices=", ".join(METHODS))
    if not isinstance(epsilon, (int, float, np.number)) or not 0 <= float(epsilon) <= MAX_EPSILON:
        raise ProbeError("engine.probe.range", setting=word("epsilon"), low=0, high=MAX_EPSILON, value=repr(epsilon))
    classes = _class_count(model)
    if target is not None and not 0 <= int(target) < classes:
        raise ProbeError("engine.probe.class_range", index=int(target), count=classes, last=classes - 1)


def _fgsm_batch(model: Any, batch: np.ndarray, epsilons: np.ndarray, cls: int, target: int | None) -> np.ndarray:
    step = _direction(model, batch, cls, target)[0]
    eps = np.asarray(epsilons, np.float32).reshape(-1, 1, 1, 1)
    return np.clip(batch + eps * step[None], 0.0, 1.0)


def _pgd_batch(
    model: Any, batch: np.ndarray, epsilons: np.ndarray, cls: int, target: int | None, steps: int
) -> np.ndarray:
    eps = np.asarray(epsilons, np.float32).reshape(-1, 1, 1, 1)
    clean = np.repeat(batch, len(eps), axis=0)
    x, alpha = clean.copy(), 2.5 * eps / steps
    for _ in range(steps):
        x = x + alpha * _direction(model, x, cls, target)
        x = np.clip(np.clip(x, clean - eps, clean + eps), 0.0, 1.0)
    return x.astype(np.float32)


def _perturb(model: Any, batch: np.ndarray, epsilons: Any, cls: int, target: int | None, method: str, steps: int):
    if method == "fgsm":
        return _fgsm_batch(model, batch, epsilons, cls, target)
    return _pgd_batch(model, batch, epsilons, cls, target, steps)


def attack(
    model: Any, image: Any, epsilon: float, *, method: str = "fgsm", target: int | None = None, steps: int = 10
) -> Attack:
    """The `method` attack at `epsilon` (untargeted unless `target` is a class index)."""
    _check(model, epsilon, target, method)
    if not 1 <= steps <= MAX_STEPS:
        raise ProbeError("engine.probe.range", setting=word("steps"), low=1, high=MAX_STEPS, value=steps)
    batch = one_image(image, model)
    pred = predictor(model)
    before = pred.predict(batch)[0]
    adv = _perturb(model, batch, [float(epsilon)], int(np.argmax(before)), target, method, steps)
    return Attack(method, float(epsilon), target, batch[0], adv[0], before, pred.predict(adv)[0])


def fgsm(model: Any, image: Any, epsilon: float, target: int | None = None) -> Attack:
    """Fast gradient sign method: one step of `epsilon` along the gradient's sign."""
    return attack(model, image, epsilon, method="fgsm", target=target)


def pgd(model: Any, image: Any, epsilon: float, steps: int = 10, target: int | None = None) -> Attack:
    """Projected gradient descent in the L-infinity ball of radius `epsilon`, `steps` steps."""
    return attack(model, image, epsilon, method="pgd", target=target, steps=steps)


def _flipped(probs: np.ndarray, before: int, target: int | None) -> np.ndarray:
    predicted = probs.argmax(axis=1)
    return predicted == target if target is not None else predicted != before


def smallest_flip(
    model: Any,
    image: Any,
    *,
    method: str = "fgsm",
    target: int | None = None,
    max_epsilon: float = 0.5,
    grid: int = 64,
    tolerance: float = 1e-4,
    steps: int = 10,
) -> Flip:
    """The smallest epsilon at which the attack changes the prediction (or reaches `target`).

    A grid of `grid` epsilons up to `max_epsilon` runs as one batch; the first success is then refined by bisection
    against the grid point below it until the two are `tolerance` apart. The returned epsilon always succeeds.
    """
    _check(model, max_epsilon, target, method)
    if not 2 <= grid <= MAX_GRID or not 1 <= steps <= MAX_STEPS or not 0 < tolerance < 1:
        raise ProbeError("engine.probe.search", grid=grid, steps=steps, tolerance=tolerance, limit=MAX_GRID)
    if not max_epsilon > 0:
        raise ProbeError("engine.probe.max_epsilon", value=max_epsilon, high=MAX_EPSILON)
    batch = one_image(image, model)
    pred = predictor(model)
    probs0 = pred.predict(batch)[0]
    before = int(np.argmax(probs0))
    if target is not None and target == before:
        raise ProbeError("engine.probe.already_target", target=int(target))
    epsilons = np.linspace(0.0, float(max_epsilon), grid + 1, dtype=np.float32)[1:]
    advs = _perturb(model, batch, epsilons, before, target, method, steps)
    hits = np.flatnonzero(_flipped(pred.predict(advs), before, target))
    if len(hits) == 0:
        return Flip(method, None, float(max_epsilon), before, target, None)
    first = int(hits[0])
    lo, hi = (float(epsilons[first - 1]) if first else 0.0), float(epsilons[first])
    for _ in range(max(0, math.ceil(math.log2(max(hi - lo, tolerance) / tolerance)))):
        mid = (lo + hi) / 2
        adv = _perturb(model, batch, [mid], before, target, method, steps)
        if _flipped(pred.predict(adv), before, target)[0]:
            hi = mid
        else:
            lo = mid
    adv = _perturb(model, batch, [hi], before, target, method, steps)
    found = Attack(method, hi, target, batch[0], adv[0], probs0, pred.predict(adv)[0])
    return Flip(method, hi, float(max_epsilon), before, target, found)
