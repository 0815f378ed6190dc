"""Memory budgets: explicit peak-memory estimates per command, checked before anything is allocated.

Each ``*_peak_bytes`` function estimates the peak of the bytes a command allocates on top of the
interpreter and its imported libraries (numpy arrays and the Python objects that hold results),
from the sizes alone, by following what the code allocates (sequence arrays, cached Gram
matrices, chunk temporaries, parameters and their gradients, solver work arrays, stored
trajectories). ``tests/test_resources.py`` compares every estimate with the peak that
``tracemalloc`` measures at small sizes and fails when they differ by more than a factor of
ESTIMATE_FACTOR either way.

The budget (``--max-memory``) defaults to DEFAULT_FRACTION of the machine's physical memory,
capped by the memory available right now (``/proc/meminfo`` MemAvailable when readable); a run
whose estimate plus BASELINE_BYTES (interpreter, numpy, scipy, sympy, matplotlib) exceeds it is
refused with BudgetError before allocating, and the message carries the estimate.
"""
import os
import re

from mesacheck.errors import BudgetError, InputError

#: estimates must agree with measured peaks within this factor (tests/test_resources.py).
ESTIMATE_FACTOR = 2.5
#: default budget: this fraction of physical memory ...
DEFAULT_FRACTION = 0.5
#: ... and at most this fraction of the memory available when the command starts.
AVAILABLE_FRACTION = 0.8
#: resident size of the interpreter with numpy, scipy, sympy and matplotlib imported (measured ~190 MiB).
BASELINE_BYTES = 256 * 2**20
#: budget used when the machine's memory cannot be read.
FALLBACK_BUDGET = 2 * 2**30

_C16, _F8 = 16, 8
_ROW_OVERHEAD = 1200  # bytes of Python objects per recorded metrics row (tuple, floats, Params)


# -- the machine --------------------------------------------------------------------------------
def _meminfo(key):
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def physical_memory():
    """Bytes of physical memory (os.sysconf, else /proc/meminfo MemTotal); None if unknown."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return pages * size
    except (AttributeError, ValueError, OSError):
        pass
    return _meminfo("MemTotal")


def available_memory():
    """Bytes available for new allocations now (MemAvailable, else SC_AVPHYS_PAGES); None if unknown."""
    avail = _meminfo("MemAvailable")
    if avail is not None:
        return avail
    try:
        pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return pages * size
    except (AttributeError, ValueError, OSError):
        pass
    return None


def default_budget():
    """DEFAULT_FRACTION of physical memory, capped by AVAILABLE_FRACTION of what is available."""
    total, avail = physical_memory(), available_memory()
    if total is None:
        return FALLBACK_BUDGET
    budget = DEFAULT_FRACTION * total
    if avail is not None:
        budget = min(budget, AVAILABLE_FRACTION * avail)
    return int(budget)


# -- sizes ----------------------------------------------------------------------------------------
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)([KMGT]?)(I?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text):
    """'4G', '512M', '1.5g', '300MiB', '1000000' -> bytes (K, M, G, T are powers of 1024).

    Raises InputError for anything else (no underscores, signs or exponents).
    """
    match = _SIZE.fullmatch(text.strip()) if isinstance(text, str) and len(text) <= 40 else None
    if not match:
        shown = text if not isinstance(text, str) or len(text) <= 40 else text[:37] + "..."
        raise InputError(f"expected a size like 4G, 512M or 1000000 (bytes), got {shown!r}")
    value = float(match.group(1)) * _UNITS[match.group(2).upper()]
    if value < 2**20:
        raise InputError(f"a memory budget must be at least 1M, got {text!r}")
    if value > 2**60:
        raise InputError(f"a memory budget must be at most 1024P, got {text!r}")
    return int(value)


def format_bytes(n):
    """1.5 GiB style."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def check_memory(estimate, max_memory, what):
    """Raise BudgetError when ``estimate`` + BASELINE_BYTES exceeds ``max_memory`` (None: the default).

    Returns the budget used.
    """
    budget = default_budget() if max_memory is None else max_memory
    need = estimate + BASELINE_BYTES
    if need > budget:
        source = "--max-memory" if max_memory is not None else (
            f"the default budget, {DEFAULT_FRACTION:g} of physical memory capped by "
            f"{AVAILABLE_FRACTION:g} of available memory; raise it with --max-memory")
        raise BudgetError(f"{what} needs an estimated {format_bytes(need)} of memory "
                          f"({format_bytes(estimate)} of arrays + {format_bytes(BASELINE_BYTES)} baseline), "
                          f"over the budget of {format_bytes(budget)} ({source}); refused before allocating")
    return budget


# -- building blocks (they follow mesacheck.setting.model) ------------------------------------------
def _cache_limit():
    from mesacheck.setting.model import CACHE_BYTES

    return CACHE_BYTES


def _chunk_limit():
    from mesacheck.setting.model import CHUNK_BYTES

    return CHUNK_BYTES


def params_bytes(d, complex_params=False):
    """W^KQ (2d x 2d) and W^PV (d x 2d)."""
    return 6 * d * d * (_C16 if complex_params else _F8)


def process_batch_bytes(m, T, d, cached=True):
    """A ProcessBatch: X (m, T, d) complex, x1, theta, lam, and the cached Gram matrices
    (m, T-2, d, d) complex when they fit model.CACHE_BYTES; plus the build temporary of X
    (the float64 angles, m T d)."""
    seq = m * T * d * _C16
    gram = m * (T - 2) * d * d * _C16
    gram = gram if cached and gram <= _cache_limit() else 0
    small = m * d * (2 * _C16 + _F8)
    return seq + gram + small, m * T * d * _F8


def structured_chunk_bytes(m, T, d, cached=True):
    """Temporaries of one chunk of the structured engine (model._structured_chunk)."""
    per_seq = (T - 2) * _C16 * (d * d + 8 * d + 8)
    rows = max(1, min(m, _chunk_limit() // max(1, per_seq)))
    gram = 0 if cached else rows * (T - 2) * d * d * _C16
    per_t = rows * (T - 2) * d * _C16 * 8          # ca, s, R, b, u and their products
    per_row = rows * d * d * _C16 * 10              # KJ, A, PJ, MP, MK, JM (2d x d), ...
    grads = 4 * 6 * d * d * _C16                    # gP, gK per chunk and their running sums
    return gram + per_t + per_row + grads


def generic_chunk_bytes(m, T, d):
    """Temporaries of one chunk of the generic 2d x 2d engine (model._generic_chunk)."""
    n = 2 * d
    per_seq = T * _C16 * (n * n + 8 * n)
    rows = max(1, min(m, _chunk_limit() // max(1, per_seq)))
    return rows * T * _C16 * (n * n + 8 * n) + 4 * 6 * d * d * _C16


def naive_bytes(m, T, d):
    """The naive per-prefix reference (model._naive): E (m, T, 2d), a conjugated prefix copy,
    S (m, 2d, 2d) per t and the predictions (m, T-2, d)."""
    n = 2 * d
    return 2 * m * T * n * _C16 + 2 * m * n * n * _C16 + m * (T - 2) * d * _C16


# -- per command -------------------------------------------------------------------------------------
def simulate_peak_bytes(m, m_test, T, d, epochs, eval_every=1, complex_params=False):
    """Peak bytes of ``mesacheck simulate`` with its default engine, the fused epoch
    (mesacheck.setting.fused): O(m d) data per batch (first tokens, phases, per-sequence running
    sums in blocks, the evaluation's cached data-only sums, O(m d^2)), plus one parameter-sized
    row per recorded epoch. Constants fitted to tracemalloc peaks at (m, m_test, T, d) =
    (2000, 1000, 50, 4), (300, 300, 20, 24), (50, 50, 10, 3) x 2000 epochs, (10000, 10000, 100, 5):
    the estimate is 1.0-2.2 times the measured peak. Update this one function when the
    simulator's epoch changes.
    """
    n = m + m_test
    n_rows = (epochs // max(1, eval_every)) + 2 if epochs else 1
    p = params_bytes(d, complex_params)
    return 400 * n * d + 20 * n * d * d + n_rows * (p + _ROW_OVERHEAD) + 2 * 2**20


def train_cached(m, T, d):
    """Whether a ProcessBatch of these sizes keeps its Gram matrices (model.CACHE_BYTES)."""
    return m * (T - 2) * d * d * _C16 <= _cache_limit()


def bench_peak_bytes(m, T, d):
    """Peak bytes of ``mesacheck bench``: x1, theta, dense parameters, the cached and the
    uncached batch, then the largest engine's temporaries (the naive reference usually), and
    the final probe batch built while the cached one is alive."""
    batch, build = process_batch_bytes(m, T, d)
    uncached, _ = process_batch_bytes(m, T, d, cached=False)
    engines = max(structured_chunk_bytes(m, T, d, train_cached(m, T, d)),
                  structured_chunk_bytes(m, T, d, cached=False),
                  generic_chunk_bytes(m, T, d), naive_bytes(m, T, d))
    data = m * d * (_C16 + 2 * _F8)
    return data + 2 * params_bytes(d) + batch + max(build, uncached + engines, batch)


def empirical_flow_peak_bytes(m, T, d, tau_given=False, sampling_error=True, complex_params=False):
    """Peak bytes of ``mesacheck flow --empirical`` (numeric.flows.empirical_flow).

    One batch (two with the sampling-error restart, both alive), the model's chunk
    temporaries, and per flow LSODA's work arrays (a dense n x n matrix per solver call,
    n = 6 d^2 real parameters; the arrays of earlier chunks are freed only by the cyclic garbage
    collector, so about one per chunk is alive: SOLVER_CHUNKS) and its stored trajectory.
    """
    batch, build = process_batch_bytes(m, T, d)
    n = 6 * d * d * (2 if complex_params else 1)
    flows = [tau_given] + ([False] if sampling_error else [])
    solver = sum((SOLVER_CHUNKS[k] + 1) * n * n * _F8 for k in flows)
    trajectory = sum(SOLVER_SAMPLES[k] * (n * _F8 + 200) for k in flows)
    work = structured_chunk_bytes(m, T, d, train_cached(m, T, d))
    return len(flows) * batch + trajectory + max(build, work + solver)


#: typical number of solve_ivp calls of one flow: 1 to a given tau, ~10 doublings to convergence.
SOLVER_CHUNKS = {True: 1, False: 10}
#: typical number of stored states of one flow (flows.SAMPLES_PER_CHUNK per call, 4x to a given tau).
SOLVER_SAMPLES = {True: 161, False: 400}


def full_tensor_peak_bytes(d, T):
    """Peak bytes of ``mesacheck flow --full`` / ``--gd``: the dense coefficient tensors assembled
    from the lattice classes (:func:`mesacheck.numeric.class_tensors.memory_estimate`, 24 (2d)^6
    bytes) plus the class tables and the solver's state (~3 MiB). Measured peaks (tracemalloc,
    gaussian, fresh process): 1.8 MiB at d = 2, 5.4 at d = 3, 10.9 at d = 4, 23.5 at d = 5, 54.6 at
    d = 6; this model gives 3.1, 4.1, 9.0, 26.9, 71.4."""
    from mesacheck.numeric.class_tensors import memory_estimate

    return memory_estimate(d) + 3 * 2**20


def reproduce_peak_bytes(name, quick):
    """Peak bytes of ``mesacheck reproduce NAME``: the simulator at the experiment's sizes (d = 5,
    T = 100, m = m_test = 10000; the --quick sizes of numeric.reproduce.QUICK), the exact full
    flow's coefficient tensors for unmasked full-one (24 (2d)^6 bytes), and the figures
    (matplotlib, ~16 MiB)."""
    from mesacheck.numeric.reproduce import D, M, M_TEST, QUICK, T, get_experiment

    exp = get_experiment(name)
    m, m_test, T_ = (QUICK["m"], QUICK["m_test"], QUICK["T"]) if quick else (M, M_TEST, T)
    epochs = min(exp.epochs, QUICK["max_epochs"]) if quick else exp.epochs
    sim = simulate_peak_bytes(m, m_test, T_, D, epochs)
    full = 24 * (2 * D) ** 6 if exp.family == "full-one" else 0
    return max(sim, full) + 16 * 2**20


