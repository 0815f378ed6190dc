"""Tripwires on the heavy entry points: reaching one means a bad input was let through to real work.

Used by the hostile-input harness for refusals that must happen while the arguments are validated
(before any sequence is sampled, flow integrated or claim checked).
"""
import contextlib
import importlib
import importlib.util


class StartedComputing(BaseException):
    """Raised by a tripwire: the command started real work."""


#: (module, attribute) pairs replaced by tripwires.
HEAVY = [
    ("mesacheck.numeric.simulator", "ProcessBatch"),
    ("mesacheck.numeric.simulator", "_train"),
    ("mesacheck.setting.model", "ProcessBatch"),
    ("mesacheck.numeric.flows", "solve_ivp"),
    ("mesacheck.numeric.flows", "ProcessBatch"),
    ("mesacheck.numeric.reproduce", "run_experiment"),
    ("mesacheck.checks.runner", "run_claims"),
    ("mesacheck.checks.runner", "run_claim"),
    ("mesacheck.cli.cmd_verify", "run_claims"),
    ("mesacheck.cli.cmd_latex", "run_claims"),
    ("mesacheck.cli.cmd_reproduce", "run_experiment"),
    ("mesacheck.cli.cmd_bench", "benchmark"),
    ("mesacheck.symbolic.reduced", "structured_coefficients"),
]


def _tripwire(where):
    def wire(*args, **kwargs):
        raise StartedComputing(where)

    return wire


def _import_everything():
    """Import every mesacheck module once, so that none is first imported while the wires are in
    place (``from mesacheck.setting.model import ProcessBatch`` would bind a tripwire for good)."""
    import pkgutil

    import mesacheck

    for info in pkgutil.walk_packages(mesacheck.__path__, "mesacheck."):
        importlib.import_module(info.name)


@contextlib.contextmanager
def tripwires():
    """Replace every HEAVY attribute by a tripwire for the duration of the block."""
    _import_everything()
    saved = []
    # Import every module before patching any: a module imported while another is patched would
    # bind the tripwire for good (``from mesacheck.checks.runner import run_claims``).
    modules = {name: importlib.import_module(name) for name, _ in HEAVY if importlib.util.find_spec(name)}
    for mod_name, attr in HEAVY:
        mod = modules.get(mod_name)
        if mod is not None and hasattr(mod, attr):
            saved.append((mod, attr, getattr(mod, attr)))
            setattr(mod, attr, _tripwire(f"{mod_name}.{attr}"))
    try:
        yield
    finally:
        for mod, attr, value in saved:
            setattr(mod, attr, value)
