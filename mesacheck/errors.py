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
