"""Scalar histories that hooks read (`trainer.storage.history(key).val / .avg`), as Pointcept's EventStorage."""

from __future__ import annotations


class History:
    """Running value and average of one scalar since the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.val, self.total, self.count = 0.0, 0.0, 0

    def update(self, value: float) -> None:
        self.val = float(value)
        self.total += self.val
        self.count += 1

    @property
    def avg(self) -> float:
        return self.total / max(self.count, 1)


class EventStorage:
    def __init__(self) -> None:
        self._histories: dict[str, History] = {}

    def __enter__(self) -> EventStorage:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def put_scalar(self, name: str, value: float) -> None:
        self._histories.setdefault(name, History()).update(value)

    def history(self, name: str) -> History:
        if name not in self._histories:
            raise KeyError(f"no scalar '{name}' was logged; logged: {sorted(self._histories)}")
        return self._histories[name]

    def reset_histories(self) -> None:
        for history in self._histories.values():
            history.reset()
