"""mesacheck.resources: sizes, the machine's memory, the default budget, and every peak-memory
estimate against the peak actually measured at small sizes (tracemalloc in-process for numpy
allocations, peak RSS of a fresh child process where tracemalloc cannot see everything): an estimate
off by more than ESTIMATE_FACTOR either way fails."""
import gc
import json
import os
import subprocess
import sys
import tracemalloc

import pytest

from mesacheck import resources
from mesacheck.errors import BudgetError, InputError

FACTOR = resources.ESTIMATE_FACTOR


@pytest.mark.parametrize("text, value", [("4G", 4 * 2**30), ("512M", 512 * 2**20), ("1.5g", int(1.5 * 2**30)),
                                         ("300MiB", 300 * 2**20), ("2048K", 2 * 2**20), ("1T", 2**40),
                                         ("1048576", 2**20)])
def test_parse_size(text, value):
    assert resources.parse_size(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1G", "1e9", "5_0M", "4 G", "0", "1K", "4GB!", "9" * 50, "1P"])
def test_parse_size_refuses(text):
    with pytest.raises(InputError):
        resources.parse_size(text)


def test_machine_memory_and_default_budget():
    total = resources.physical_memory()
    assert total is not None and total > 2**28
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal:")).split()[1])
        assert abs(total - kib * 1024) <= 0.05 * total  # sysconf and /proc/meminfo agree
    budget = resources.default_budget()
    assert 0 < budget <= resources.DEFAULT_FRACTION * total + 1


def test_check_memory_message_carries_the_estimate():
    assert resources.check_memory(2**20, 2**30, "x") == 2**30
    with pytest.raises(BudgetError, match=r"x needs an estimated .*GiB.*over the budget of 1 GiB.*--max-memory"):
        resources.check_memory(3 * 2**30, 2**30, "x")


def traced_peak(fn):
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def assert_close(estimate, measured, what):
    ratio = estimate / measured
    assert 1 / FACTOR <= ratio <= FACTOR, (f"{what}: estimate {estimate / 2**20:.1f} MiB vs measured "
                                           f"{measured / 2**20:.1f} MiB (ratio {ratio:.2f}, allowed factor {FACTOR})")


@pytest.mark.parametrize("m, m_test, T, d, epochs", [(2000, 1000, 50, 4, 3), (300, 300, 20, 24, 2), (50, 50, 10, 3, 2000)])
def test_simulate_estimate(m, m_test, T, d, epochs):
    from mesacheck.numeric.simulator import simulate

    # imports, caches and the numba kernel for this d first (compiling allocates ~60 MiB of objects)
    simulate("gaussian:sigma=1", d, 5, 10, 0.01, 1, m_test=10, progress=False)
    measured = traced_peak(lambda: simulate("gaussian:sigma=1", d, T, m, 0.01, epochs, m_test=m_test, progress=False))
    assert_close(resources.simulate_peak_bytes(m, m_test, T, d, epochs), measured, f"simulate {(m, m_test, T, d)}")


@pytest.mark.parametrize("m, T, d, tau, second", [(2000, 30, 3, 2.0, True), (500, 20, 6, 0.5, False)])
def test_empirical_flow_estimate(m, T, d, tau, second):
    from mesacheck.numeric.flows import empirical_flow

    empirical_flow("sparse:c=1", d, 5, 10, (0.1, 0.1), 0, tau_max=0.01)  # numba kernel for this d first
    measured = traced_peak(lambda: empirical_flow("sparse:c=1", d, T, m, (0.1, 0.1), 0, tau_max=tau,
                                                  sampling_error=second))
    assert_close(resources.empirical_flow_peak_bytes(m, T, d, tau is not None, second), measured,
                 f"flow --empirical {(m, T, d, tau)}")


def child_peak(code):
    """Peak of a fresh interpreter running ``code`` (which prints one JSON line {"peak": bytes})."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak"]


# VmHWM (peak RSS of this process image), not ru_maxrss: Linux carries ru_maxrss across fork and
# execve, so a child of a large pytest process would report pytest's own peak.
RSS_DELTA = """
import json
def hwm():
    with open("/proc/self/status") as fh:
        return 1024 * int(next(line for line in fh if line.startswith("VmHWM:")).split()[1])
{setup}
base = hwm()
{work}
print(json.dumps({{"peak": hwm() - base}}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc/self/status (VmHWM)")
def test_bench_estimate():
    """bench traces its own memory (tracemalloc), so it is measured by peak RSS in a child."""
    m, T, d = 3000, 100, 5
    code = RSS_DELTA.format(setup=f"from mesacheck.cli.cmd_bench import benchmark\nbenchmark(20, 5, {d}, 1, 0)",
                            work=f"benchmark({m}, {T}, {d}, 1, 0)")
    assert_close(resources.bench_peak_bytes(m, T, d), child_peak(code), f"bench {(m, T, d)}")


@pytest.mark.parametrize("d, T", [(2, 5), pytest.param(3, 4, marks=pytest.mark.slow)])
def test_full_flow_estimate(d, T):
    """Measured in a fresh child: the exact coefficients are cached in-process."""
    code = ("import gc, json, tracemalloc\nfrom mesacheck.numeric import flows\n"
            "flows.full_population_flow('sparse:c=1', 1, 4, (0.1, 0.1), tau_max=0.1)\n"
            "gc.collect(); tracemalloc.start()\n"
            f"flows.full_population_flow('gaussian:sigma=1', {d}, {T}, (0.1, 0.1), tau_max=0.5)\n"
            "print(json.dumps({'peak': tracemalloc.get_traced_memory()[1]}))")
    assert_close(resources.full_tensor_peak_bytes(d, T), child_peak(code), f"flow --full {(d, T)}")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gaussian-1"])
def test_reproduce_estimate(name, tmp_path):
    code = ("import gc, json, tracemalloc\n"
            "from mesacheck.numeric.reproduce import run_experiment, theory\n"
            "from mesacheck.setting.distributions import parse_dist\nimport mesacheck.output.plots\n"
            "from mesacheck.numeric.simulator import simulate\n"
            "simulate('gaussian:sigma=1', 5, 5, 10, 0.01, 1, m_test=10, progress=False)\n"  # numba kernel
            "theory(parse_dist('sparse:c=1')); gc.collect(); tracemalloc.start()\n"
            f"run_experiment({name!r}, quick=True, progress=False)\n"
            "print(json.dumps({'peak': tracemalloc.get_traced_memory()[1]}))")
    assert_close(resources.reproduce_peak_bytes(name, True), child_peak(code), f"reproduce {name}")
