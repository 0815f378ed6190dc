"""The paper's simulation (EXPERIMENTS.md): full-batch gradient descent on sampled sequences.

One ``numpy.random.SeedSequence(seed)`` is spawned into independent streams for the training
x_1, the training phases, the test x_1, the test phases and the initialisation, so a run is
bit-reproducible from its seed and changing e.g. m_test leaves the training data unchanged.

Engines: ``engine="fused"`` (default) runs every epoch with the fused kernel of
:mod:`mesacheck.setting.fused` (running prefix sums, both cores, O(m d) memory);
``engine="structured"`` uses the cached-Gram engine of :mod:`mesacheck.setting.model` (the previous
default, kept as the reference the fused engine is tested against). Both give the same numbers
to round-off.

Evaluation at each recorded epoch, on the test sequences:

* ratio = mean of Re(yhat_{T-1,j} / x_{T,j}) over the test (sequence, coordinate) pairs with
  x_{T,j} != 0 (NaN if there is none): only the last prediction is needed, and it is computed from
  the cached data-only sum C_{T-1} (``fused.last_prediction``), O(m d^2);
* test loss = (1/m_test) sum_seq sum_{t=2}^{T-1} 1/2 ||yhat_t - x_{t+1}||^2 (the training
  normalisation) by the fused forward pass, which keeps running sums only.
"""
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from mesacheck.errors import InputError
from mesacheck.setting import fused
from mesacheck.setting.fused import FusedBatch
from mesacheck.setting.model import ProcessBatch, loss_and_grad, loss_and_last_prediction, loss_only, sample_W_phases
from mesacheck.setting.params import Params
from mesacheck.setting.validate import check_finite, check_int, check_positive

STREAMS = ("train_x1", "train_W", "test_x1", "test_W", "init")
ENGINES = ("fused", "structured")
#: the definition of the ratio, stated in every output that shows it.
RATIO_DEFINITION = ("ratio = mean of Re(yhat_{T-1,j} / x_{T,j}) over the test (sequence, coordinate) pairs "
                    "with x_{T,j} != 0")
#: a run is declared diverged when its training loss exceeds this factor times the initial loss.
DIVERGENCE_FACTOR = 1e6
#: refuse runs whose sequence arrays alone would exceed this many bytes.
MAX_SEQUENCE_BYTES = 4 * 2**30
#: refuse runs whose epoch would touch more than this many (sequence, position, coordinate^2) terms.
MAX_EPOCH_WORK = 2 * 10**11


@dataclass
class SimulationResult:
    """Metrics at every evaluation epoch (all finite: a diverged run is truncated before it blew up).

    ``ratio`` holds NaN where it is undefined (no test coordinate with x_T != 0); JSON shows null.
    ``params`` are the final (last finite) parameters.
    """

    epochs: np.ndarray
    ab: np.ndarray
    ratio: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    offdiag_norm: np.ndarray
    params: Params
    status: str
    diverged_epoch: Optional[int]
    seeds: dict
    settings: dict = field(default_factory=dict)

    @property
    def tau(self):
        """Gradient-flow time lr * epoch of each evaluation epoch."""
        return self.epochs * self.settings["lr"]

    def to_json_dict(self):
        """Plain-JSON payload (NaN ratio -> None) with settings, seeds, status, metrics, final matrices."""
        ratio = [None if math.isnan(r) else float(r) for r in self.ratio]
        metrics = {
            "epoch": self.epochs.tolist(),
            "tau": self.tau.tolist(),
            "ab": self.ab.tolist(),
            "ratio": ratio,
            "test_loss": self.test_loss.tolist(),
            "train_loss": self.train_loss.tolist(),
            "offdiag_norm": self.offdiag_norm.tolist(),
        }
        final = {key: (values[-1] if values else None) for key, values in metrics.items()}
        final.update(kq=self.params.kq, pv=self.params.pv)
        return {
            "settings": dict(self.settings),
            "seeds": self.seeds,
            "status": self.status,
            "diverged_epoch": self.diverged_epoch,
            "metrics": metrics,
            "final": final,
        }

    def save_npz(self, path):
        """Write the metrics, final matrices, status and settings (as JSON text) to ``path``."""
        arrays = dict(
            epochs=self.epochs, tau=self.tau, ab=self.ab, ratio=self.ratio, test_loss=self.test_loss,
            train_loss=self.train_loss, offdiag_norm=self.offdiag_norm, kq=self.params.kq,
            pv=self.params.pv, status=np.array(self.status),
            diverged_epoch=np.array(-1 if self.diverged_epoch is None else self.diverged_epoch),
            settings_json=np.array(json.dumps({"settings": self.settings, "seeds": self.seeds}, sort_keys=True)),
        )
        try:
            # An open file keeps the exact path (np.savez would append ".npz" to a bare name).
            with open(path, "wb") as fh:
                np.savez(fh, **arrays)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _resolve_dist(dist):
    if isinstance(dist, str):
        from mesacheck.setting.distributions import parse_dist

        return parse_dist(dist)
    if not callable(getattr(dist, "sample", None)):
        raise InputError(f"dist must be a spec string or a Distribution, got {type(dist).__name__}")
    return dist


MAX_START = 1e6  # |a0|, |b0|, dense std: beyond this the quartic loss overflows float64 at once
MAX_TOKEN = 1e40  # |x_1| entries: the loss involves |x|^6


def _draw_x1(dist, m, d, rng, what):
    with np.errstate(over="ignore", invalid="ignore"):
        x1 = np.asarray(dist.sample(m, d, rng))
    if x1.shape != (m, d):
        raise InputError(f"the distribution returned {what} x_1 of shape {x1.shape}, expected {(m, d)}")
    if not np.all(np.isfinite(x1)):
        raise InputError(f"the distribution returned non-finite {what} x_1 (scale too large for float64)")
    if x1.size and np.max(np.abs(x1)) > MAX_TOKEN:
        raise InputError(f"the distribution's scale is too large: max |x_1| = {np.max(np.abs(x1)):.3g} "
                         f"> {MAX_TOKEN:g} would overflow the loss (which involves |x|^6); rescale the law")
    return x1.astype(np.complex128)


def _initial_params(d, init, dense_std, complex_params, rng):
    if init is not None and dense_std is not None:
        raise InputError("give either init=(a0, b0) or dense_std, not both")
    if dense_std is not None:
        return Params.dense_gaussian(d, check_positive("dense_std", dense_std, MAX_START), rng,
                                     complex=complex_params)
    a0, b0 = (0.1, 0.1) if init is None else _pair(init)
    return Params.diagonal(d, a0, b0, complex=complex_params)


def _pair(init):
    try:
        a0, b0 = init
    except (TypeError, ValueError):
        raise InputError(f"init must be a pair (a0, b0), got {init!r}") from None
    a0, b0 = check_finite("a0", a0), check_finite("b0", b0)
    if max(abs(a0), abs(b0)) > MAX_START:
        raise InputError(f"init ({a0:g}, {b0:g}) is too large: |a0|, |b0| must be <= {MAX_START:g}")
    return a0, b0


def _memory_estimate(engine, m, m_test, T, d):
    """Bytes of the data arrays an engine holds: the structured engine stores every sequence
    (and caches Gram matrices within its own budget); the fused one x_1, phases, lane blocks, C_{T-1}."""
    if engine == "structured":
        return (m + m_test) * T * d * 16
    return (m + m_test) * d * 112 + m_test * d * d * 16


class _Engine:
    """The loss/gradient and evaluation functions of one engine (fused, or the structured reference)."""

    def __init__(self, name, test_loss=True):
        if name not in ENGINES:
            raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {name!r}")
        self.name = name
        self.want_test_loss = test_loss
        self.batch = FusedBatch if name == "fused" else ProcessBatch
        self.loss_and_grad = fused.loss_and_grad if name == "fused" else loss_and_grad
        self.loss_only = fused.loss_only if name == "fused" else loss_only

    def test_metrics(self, params, test):
        """(test loss with the training normalisation or NaN if not asked, ratio or NaN); see module doc."""
        if self.name == "fused":
            last, x_T = fused.last_prediction(params, test), test.token(test.T)
            test_loss = fused.loss_only(params, test) if self.want_test_loss else math.nan
        else:
            test_loss, last = loss_and_last_prediction(params, test)
            x_T = test.X[:, -1]
        return test_loss, fused.last_position_ratio(last, x_T)


def _batch(cls, dist, d, T, m, rng_x1, rng_W, what):
    return cls(_draw_x1(dist, m, d, rng_x1, what), sample_W_phases(m, d, rng_W), T)


def training_batch(dist, d, T, m, seed, engine="fused"):
    """The training sequences ``simulate(..., seed=seed)`` draws (same seed streams), as a batch of
    the given engine: for quantities computed on a run's own sample after the run."""
    dist = _resolve_dist(dist)
    children = dict(zip(STREAMS, np.random.SeedSequence(check_int("seed", seed, 0)).spawn(len(STREAMS))))
    cls = FusedBatch if engine == "fused" else ProcessBatch
    return _batch(cls, dist, check_int("d", d, 1), check_int("T", T, 3), check_int("m", m, 1),
                  np.random.default_rng(children["train_x1"]), np.random.default_rng(children["train_W"]), "training")


def _progress(total, enabled):
    from tqdm import tqdm

    return tqdm(total=total, desc="simulate", unit="epoch", file=sys.stderr, leave=False,
                disable=not (enabled and sys.stderr.isatty()))


def simulate(dist, d, T, m, lr, epochs, init=None, dense_std=None, masked=False, seed=0,
             eval_every=1, m_test=10000, progress=True, complex_params=False, engine="fused",
             test_loss=True):
    """Run the reference experiment and return a SimulationResult.

    Samples m training and m_test test sequences of length T from x_1 ~ dist, initialises with
    Assumption 3.1 (``init=(a0, b0)``, default (0.1, 0.1)) or dense Gaussian entries of standard
    deviation ``dense_std``, and runs ``epochs`` full-batch gradient-descent steps of size ``lr``
    on the training loss, zeroing the off-diagonal entries of A and B after each step if
    ``masked`` (after each step only, as the reference program does: a dense start is not masked). Metrics are recorded at epoch 0, every ``eval_every`` epochs and at the last
    epoch. Divergence (non-finite parameters or loss, or loss > DIVERGENCE_FACTOR x initial) stops
    the run with status 'diverged'; the reported arrays end at the last healthy epoch.
    ``engine``: "fused" (default) or "structured" (the reference engine; same numbers to round-off).
    ``test_loss=False`` skips the test loss (NaN in the result; the forward pass over the test set
    costs about half a training epoch) when only the ratio is wanted.
    """
    d, T, m = check_int("d", d, 1), check_int("T", T, 3), check_int("m", m, 1)
    lr = check_positive("lr", lr)
    epochs = check_int("epochs", epochs, 0)
    eval_every = check_int("eval_every", eval_every, 1)
    m_test = check_int("m_test", m_test, 1)
    seed = check_int("seed", seed, 0)
    if (m + m_test) * T * d * d > MAX_EPOCH_WORK:
        raise InputError(f"(m + m_test) * T * d^2 = {(m + m_test) * T * d * d:.3g} is too much work per epoch "
                         f"(limit {MAX_EPOCH_WORK:.0e}, {MAX_EPOCH_WORK / 5e7:.0f} times the paper's size): "
                         "reduce m, m_test, T or d")
    need = _memory_estimate(engine, m, m_test, T, d)
    if need > MAX_SEQUENCE_BYTES:
        raise InputError(f"m={m}, m_test={m_test}, T={T}, d={d} is too large for the {engine} engine: its arrays "
                         f"would need about {need / 2**30:.1f} GiB (limit {MAX_SEQUENCE_BYTES / 2**30:.0f} GiB)")
    eng = _Engine(engine, bool(test_loss))
    dist = _resolve_dist(dist)
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children)}
    seeds = {"seed": seed, "streams": {name: {"entropy": seed, "spawn_key": list(ss.spawn_key)}
                                       for name, ss in zip(STREAMS, children)}}
    params = _initial_params(d, init, dense_std, bool(complex_params), rng["init"])
    settings = {
        "dist": getattr(dist, "spec", repr(dist)), "d": d, "T": T, "m": m, "m_test": m_test, "lr": lr,
        "epochs": epochs, "init": None if dense_std is not None else list(_pair((0.1, 0.1) if init is None else init)),
        "dense_std": None if dense_std is None else float(dense_std), "masked": bool(masked), "eval_every": eval_every,
        "complex_params": bool(complex_params), "seed": seed,
        "divergence_factor": DIVERGENCE_FACTOR, "engine": engine, "ratio_definition": RATIO_DEFINITION,
    }

    train = _batch(eng.batch, dist, d, T, m, rng["train_x1"], rng["train_W"], "training")
    test = _batch(eng.batch, dist, d, T, m_test, rng["test_x1"], rng["test_W"], "test")
    with np.errstate(all="ignore"), _progress(epochs, progress) as bar:
        rows, status, diverged_epoch = _train(params, train, test, lr, epochs, masked, eval_every, bar, eng)
    final = rows[-1][-1] if rows else params
    columns = list(zip(*[row[:-1] for row in rows])) or [()] * 6
    return SimulationResult(
        epochs=np.array(columns[0], dtype=np.int64), ab=np.array(columns[1], dtype=np.float64),
        ratio=np.array(columns[2], dtype=np.float64), test_loss=np.array(columns[3], dtype=np.float64),
        train_loss=np.array(columns[4], dtype=np.float64), offdiag_norm=np.array(columns[5], dtype=np.float64),
        params=final.copy(), status=status, diverged_epoch=diverged_epoch, seeds=seeds, settings=settings,
    )


def _train(params, train, test, lr, epochs, masked, eval_every, bar, eng):
    """The gradient-descent loop; returns (rows, status, diverged_epoch), each row
    (epoch, ab, ratio, test_loss, train_loss, offdiag_norm, params)."""
    rows = []
    loss_and_grad, loss_only = eng.loss_and_grad, eng.loss_only

    def record(epoch, p, train_loss):
        test_loss, ratio = eng.test_metrics(p, test)
        if math.isinf(test_loss) or (eng.want_test_loss and math.isnan(test_loss)) or \
                not math.isfinite(p.ab()) or math.isinf(ratio):
            return False
        rows.append((epoch, p.ab(), ratio, test_loss, train_loss, p.off_diagonal_norm(), p))
        return True

    loss, grad = loss_and_grad(params, train)
    loss0 = loss
    if not (math.isfinite(loss) and params.all_finite() and record(0, params, loss)):
        return rows, "diverged", 0
    limit = DIVERGENCE_FACTOR * loss0 if loss0 > 0 else math.inf
    for epoch in range(1, epochs + 1):
        new = params.step(grad, lr)
        if masked:
            new.mask_offdiag_AB()
        if epoch < epochs:
            new_loss, new_grad = loss_and_grad(new, train)
        else:
            new_loss, new_grad = loss_only(new, train), None
        healthy = new.all_finite() and math.isfinite(new_loss) and new_loss <= limit
        if healthy and (epoch % eval_every == 0 or epoch == epochs):
            healthy = record(epoch, new, new_loss)
        if not healthy:
            if rows[-1][0] != epoch - 1:
                record(epoch - 1, params, loss)
            return rows, "diverged", epoch
        params, loss, grad = new, new_loss, new_grad
        bar.update(1)
    return rows, "ok", None
