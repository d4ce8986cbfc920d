"""Engine components registered into the host: schedule / EMA hooks and the CSPTrainer."""

from . import hooks, trainer  # noqa: F401
