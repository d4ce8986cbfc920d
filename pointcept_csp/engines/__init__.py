"""Engine components registered into the host: schedule / EMA hooks, device-agnostic evaluators and testers, and
CSPTrainer."""

from . import evaluator, hooks, testers, trainer  # noqa: F401
