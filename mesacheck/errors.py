"""Errors mesacheck raises on purpose. The command line turns each into one line and exit 2."""


class MesacheckError(Exception):
    """Base class: a user-facing problem with a one-line message."""


class SpecError(MesacheckError, ValueError):
    """A malformed or out-of-range distribution spec string."""


class InputError(MesacheckError, ValueError):
    """An out-of-range argument (d, T, m, lr, epochs, init, ...)."""


class UndefinedError(MesacheckError):
    """A quantity that does not exist for this input (e.g. an infinite moment)."""


class InfiniteMomentError(UndefinedError):
    """A moment the computation needs is infinite for the chosen distribution."""


class ReductionError(MesacheckError):
    """A reduced system (A = aI, B = bI, or diagonal A and B) was asked for a law and flow under
    which it is not exact: the population flow leaves that set."""


class BudgetError(MesacheckError):
    """A time or memory budget would be exceeded (estimated before the work starts)."""


# Exit codes of the command line (documented in the README and `mesacheck --help`).
EXIT_OK = 0  #: success; every check passed
EXIT_CHECK_FAILED = 1  #: a check ran and failed
EXIT_BAD_INPUT = 2  #: bad input, or a question with no answer for this input (one line on stderr)
EXIT_TIMEOUT = 3  #: a time budget ran out, or an internal error ("please report")
EXIT_NUMERIC = 4  #: a numerical failure: the run diverged or did not converge
