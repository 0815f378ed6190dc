"""Population gradient descent: the four systems agree, the step-size limit of GD is the flow, the
divergence verdict, refusals, and a sampled simulation with the same step size."""
import numpy as np
import pytest

from mesacheck.errors import ReductionError
from mesacheck.numeric import flows
from mesacheck.numeric.population_gd import population_gd
from mesacheck.setting.params import Params


def test_four_systems_agree_for_gaussian():
    """Gaussian from (2, 2): the (a, b), diagonal, symmetric and full systems iterate the same map;
    per-epoch ab and loss agree to round-off (relative 1e-10)."""
    runs = {s: population_gd("gaussian:sigma=1", 4, 30, (2.0, 2.0), 1e-3, 60, system=s)
            for s in ("reduced", "diagonal", "symmetric", "full")}
    ref = runs["full"]
    for name, r in runs.items():
        assert r.system == name
        assert np.allclose(r.ab, ref.ab, rtol=1e-10, atol=0), name
        assert np.allclose(r.loss, ref.loss, rtol=1e-10, atol=0), name
        assert np.max(r.offdiag) <= 1e-12


def test_symmetric_and_full_agree_for_full_one_and_leave_the_set():
    sym = population_gd("full-one:c=1", 5, 100, (0.5, 1.5), 1e-3, 100)
    full = population_gd("full-one:c=1", 5, 100, (0.5, 1.5), 1e-3, 100, system="full")
    assert sym.system == "symmetric"
    assert np.allclose(sym.ab, full.ab, rtol=1e-10, atol=0) and np.allclose(sym.offdiag, full.offdiag, rtol=1e-9, atol=1e-14)
    assert full.offdiag[-1] > 0.2
    masked = population_gd("full-one:c=1", 5, 100, (0.5, 1.5), 1e-3, 100, masked=True)
    assert masked.system == "reduced" and masked.offdiag.max() == 0


def test_small_steps_follow_the_flow():
    """GD with lr -> 0 is the Euler scheme of the entrywise flow: at tau = lr * epochs the gap to the
    reduced flow shrinks linearly in lr (halving lr roughly halves it)."""
    tau = 0.2
    flow = flows.reduced_flow("uniform:c=1", 3, 10, 0.5, 1.5, tau_max=tau)
    gaps = []
    for lr in (2e-3, 1e-3):
        gd = population_gd("uniform:c=1", 3, 10, (0.5, 1.5), lr, int(round(tau / lr)))
        gaps.append(abs(gd.ab[-1] - flow.ab_limit))
    assert gaps[1] < 0.6 * gaps[0] and gaps[0] < 1e-2


def test_divergence_verdict_and_exit_code(capsys):
    from mesacheck.cli.main import main

    r = population_gd("full-one:c=1", 5, 100, (0.5, 1.5), 1e-2, 100)
    assert r.status == "diverged" and r.diverged_epoch is not None and np.all(np.isfinite(r.loss))
    ok = population_gd("gaussian:sigma=1", 5, 100, (0.1, 0.1), 1e-4, 3000)
    assert ok.status == "converged"
    assert main(["flow", "--dist", "full-one:c=1", "--d", "3", "--T", "20", "--init", "0.5,1.5", "--gd",
                 "--lr", "0.5", "--epochs", "50"]) == 4
    assert "diverged" in capsys.readouterr().out


def test_refusals():
    with pytest.raises(ReductionError):
        population_gd("full-one:c=1", 3, 10, (0.5, 1.5), 1e-3, 5, system="reduced")
    with pytest.raises(ReductionError):
        population_gd("gaussian:sigma=1", 3, 10, Params.dense_gaussian(3, 0.1, np.random.default_rng(0)),
                      1e-3, 5, system="symmetric")
    dense = population_gd("gaussian:sigma=1", 3, 10, Params.dense_gaussian(3, 0.1, np.random.default_rng(0)), 1e-3, 5)
    assert dense.system == "full"


@pytest.mark.slow
def test_simulation_stays_near_population_gd():
    """The sampled simulation (m sequences, same lr and start) against population GD: the deviation
    of ab is within 4 sampling standard errors at every logged epoch, the s.e. estimated from two
    independent seeds (|ab_0 - ab_1| / sqrt 2, maximised over epochs)."""
    from mesacheck.numeric.simulator import simulate

    spec, d, T, lr, epochs = "gaussian:sigma=1", 3, 20, 1e-3, 100
    gd = population_gd(spec, d, T, (0.5, 1.5), lr, epochs)
    sims = [simulate(spec, d, T, 4000, lr, epochs, init=(0.5, 1.5), seed=s, eval_every=10, m_test=10, progress=False)
            for s in (0, 1)]
    se = np.max(np.abs(sims[0].ab - sims[1].ab)) / np.sqrt(2)
    dev = np.abs(sims[0].ab - gd.ab[sims[0].epochs])
    assert se < 0.05 and np.all(dev <= 4 * se + 1e-12)
