"""Export the student backbone of a PointCSP pre-training checkpoint: `backbone.*` keys only, ready for fine-tuning.

python tools/export_backbone.py exp/scannet/pre/model/model_last.pth exp/scannet/pre/model/backbone.pth
"""

import argparse

import pointcept_csp
from pointcept_csp.models.weights import strip_prefix
from pointcept_csp.utils.checkpoint import atomic_save, load_checkpoint, model_state


def export(src: str, dst: str) -> int:
    checkpoint = load_checkpoint(src)
    weights = strip_prefix(model_state(checkpoint), "backbone.")
    if not weights:
        raise KeyError(f"{src} has no 'backbone.' tensors (is it a PointCSP pre-training checkpoint?)")
    config = checkpoint.get("config") or {}
    atomic_save(
        {
            "version": pointcept_csp.__version__,
            "config": config.get("backbone", config),
            "state_dict": {f"backbone.{k}": v for k, v in weights.items()},
        },
        dst,
    )
    return len(weights)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("output")
    args = parser.parse_args()
    print(f"exported {export(args.checkpoint, args.output)} backbone tensors to {args.output}")


if __name__ == "__main__":
    main()
