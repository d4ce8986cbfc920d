"""3DSES (Mérizette et al., 2025): dense indoor TLS scans of an engineering school with point labels from a 3D CAD
model (pseudo labels) and, for part of the data, manual labels. The paper reports overall accuracy on both.

Layout after `tools/convert_3dses.py` (Pointcept style): `<data_root>/<split>/<scan>/coord.npy, color.npy,
segment.npy` (pseudo labels) and, where available, `segment_true.npy` (manual labels). `label="true"` trains /
evaluates on the manual labels instead.
"""

from __future__ import annotations

from .. import host


@host.DATASETS.register_module("ThreeDSESDataset")
class ThreeDSESDataset(host.DefaultDataset):
    VALID_ASSETS = ("coord", "color", "normal", "segment", "segment_true", "instance")

    def __init__(self, label: str = "pseudo", **kwargs) -> None:
        if label not in ("pseudo", "true"):
            raise ValueError(f"label must be 'pseudo' or 'true', got {label!r}")
        self.label = label
        super().__init__(**kwargs)

    def get_data(self, idx):
        data = super().get_data(idx)
        true = data.pop("segment_true", None)
        if self.label == "true":
            if true is None:
                raise FileNotFoundError(
                    f"{self.data_list[idx % len(self.data_list)]} has no segment_true.npy; "
                    "use label='pseudo' or convert the manual labels with tools/convert_3dses.py"
                )
            data["segment"] = true.reshape(-1).astype("int32")
        return data
